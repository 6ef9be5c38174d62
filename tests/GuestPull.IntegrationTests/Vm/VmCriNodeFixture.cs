using GuestPull.IntegrationTests.Cri;
using GuestPull.Testing.Cri;

namespace GuestPull.IntegrationTests.Vm;

/// <summary>
/// One <see cref="CriNode"/> whose shim runs every pod in a QEMU VM booted from the built guest image; the
/// shim's <c>[agent]</c> table holds a decryption key, which reaches the guest in the VM's initdata.
/// </summary>
public sealed class VmCriNodeFixture : CriNodeFixture
{
    private protected override bool GivesTheAgentAKey => true;

    private protected override CriNodeOptions Options(CriNodeOptions defaults)
    {
        var image = GuestImage.Locate();
        return new CriNodeOptions
        {
            GuestPullCommand = defaults.GuestPullCommand,
            ExtraAgentConfig = defaults.ExtraAgentConfig,
            Sandbox = "vm",
            GuestImageDirectory = Path.GetDirectoryName(image.Kernel),
        };
    }
}
