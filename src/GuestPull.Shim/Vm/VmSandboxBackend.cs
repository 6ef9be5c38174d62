using GuestPull.Shim.Sandbox;
using Microsoft.Extensions.Logging;

namespace GuestPull.Shim.Vm;

/// <summary>Sandboxes that are QEMU virtual machines, one per pod.</summary>
internal sealed class VmSandboxBackend : ISandboxBackend
{
    private readonly ILoggerFactory _logging;

    public VmSandboxBackend(ILoggerFactory logging) => _logging = logging;

    public Task<ISandbox> StartAsync(SandboxRequest request, CancellationToken cancellationToken) =>
        VmSandbox.StartAsync(request, _logging.CreateLogger<VmSandbox>(), cancellationToken);
}
