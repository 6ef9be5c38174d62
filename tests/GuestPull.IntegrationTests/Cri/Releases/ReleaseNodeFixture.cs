using GuestPull.Testing;
using GuestPull.Testing.Cri;

namespace GuestPull.IntegrationTests.Cri.Releases;

/// <summary>
/// One <see cref="CriNode"/> on one containerd release, shared by that release's test class (a node
/// takes a while to start; the cri-node collection keeps two from running at once).
/// </summary>
public abstract class ReleaseNodeFixture : IAsyncLifetime
{
    private readonly BusyboxImageFixture _busybox = new();
    private CriNode? _node;

    internal CriNode Node => _node ?? throw new InvalidOperationException("The node is not started.");

    internal BusyboxImageFixture Busybox => _busybox;

    /// <summary>The release and how the node's config is made.</summary>
    protected abstract Task<CriNodeOptions> OptionsAsync(IReadOnlyList<string> guestPullCommand, CancellationToken cancellationToken);

    public async Task InitializeAsync()
    {
        await _busybox.InitializeAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var options = await OptionsAsync(["dotnet", Path.Combine(AppContext.BaseDirectory, "guestpull.dll")], timeout.Token);
        _node = await CriNode.StartAsync(_busybox, options, timeout.Token);
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
