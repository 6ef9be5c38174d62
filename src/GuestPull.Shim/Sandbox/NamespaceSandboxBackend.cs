using Microsoft.Extensions.Logging;

namespace GuestPull.Shim.Sandbox;

/// <summary>Sandboxes made of Linux namespaces (mount, PID, UTS, IPC; the pod's network namespace joined).</summary>
internal sealed class NamespaceSandboxBackend : ISandboxBackend
{
    private readonly ILoggerFactory _logging;

    public NamespaceSandboxBackend(ILoggerFactory logging) => _logging = logging;

    public Task<ISandbox> StartAsync(SandboxRequest request, CancellationToken cancellationToken) =>
        NamespaceSandbox.StartAsync(request, _logging.CreateLogger<NamespaceSandbox>(), cancellationToken);
}
