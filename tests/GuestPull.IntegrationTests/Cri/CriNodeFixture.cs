using GuestPull.Testing;
using GuestPull.Testing.Cri;

namespace GuestPull.IntegrationTests.Cri;

/// <summary>One <see cref="CriNode"/> for a test class: starting containerd with CRI takes a while.</summary>
public class CriNodeFixture : IAsyncLifetime
{
    private readonly BusyboxImageFixture _busybox = new();
    private CriNode? _node;

    internal CriNode Node => _node ?? throw new InvalidOperationException("The node is not started.");

    internal BusyboxImageFixture Busybox => _busybox;

    public virtual async Task InitializeAsync()
    {
        await _busybox.InitializeAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        _node = await CriNode.StartAsync(_busybox, Options(new CriNodeOptions { GuestPullCommand = ["dotnet", Path.Combine(AppContext.BaseDirectory, "guestpull.dll")] }), timeout.Token);
    }

    /// <summary>The node's options: the defaults (a namespace sandbox); a derived fixture changes them.</summary>
    private protected virtual CriNodeOptions Options(CriNodeOptions defaults) => defaults;

    public virtual async Task DisposeAsync()
    {
        if (_node is not null)
        {
            await _node.DisposeAsync();
        }

        await _busybox.DisposeAsync();
    }
}
