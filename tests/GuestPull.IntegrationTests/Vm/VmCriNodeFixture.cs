using GuestPull.IntegrationTests.Cri;
using GuestPull.Testing.Cri;

namespace GuestPull.IntegrationTests.Vm;

/// <summary>One <see cref="CriNode"/> whose shim runs every pod in a QEMU VM booted from the built guest image.</summary>
public sealed class VmCriNodeFixture : CriNodeFixture
{
    private protected override CriNodeOptions Options(CriNodeOptions defaults)
    {
        var image = GuestImage.Locate();
        return new CriNodeOptions
        {
            GuestPullCommand = defaults.GuestPullCommand,
            Sandbox = "vm",
            GuestImageDirectory = Path.GetDirectoryName(image.Kernel),
        };
    }
}
