using GuestPull.Testing;
using GuestPull.Testing.Cri;

namespace GuestPull.IntegrationTests.Vm;

/// <summary>One <see cref="CriNode"/> whose shim runs every pod in a QEMU VM booted from the built guest image.</summary>
public sealed class VmCriNodeFixture : IAsyncLifetime
{
    private readonly BusyboxImageFixture _busybox = new();
    private CriNode? _node;

    internal CriNode Node => _node ?? throw new InvalidOperationException("The node is not started.");

    internal BusyboxImageFixture Busybox => _busybox;

    public async Task InitializeAsync()
    {
        await _busybox.InitializeAsync();
        var image = GuestImage.Locate();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        _node = await CriNode.StartAsync(
            _busybox,
            new CriNodeOptions
            {
                GuestPullCommand = ["dotnet", Path.Combine(AppContext.BaseDirectory, "guestpull.dll")],
                Sandbox = "vm",
                GuestImageDirectory = Path.GetDirectoryName(image.Kernel),
            },
            timeout.Token);
    }

    public async Task DisposeAsync()
    {
        if (_node is not null)
        {
            await _node.DisposeAsync();
        }

        await _busybox.DisposeAsync();
    }
}
