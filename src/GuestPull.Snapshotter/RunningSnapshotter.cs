using GuestPull.Snapshotter.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;

namespace GuestPull.Snapshotter;

/// <summary>A snapshotter serving on its socket; dispose to stop it (the socket file is removed).</summary>
public sealed class RunningSnapshotter : IAsyncDisposable
{
    private readonly WebApplication _application;
    private readonly SnapshotStore _store;
    private int _disposed;

    internal RunningSnapshotter(WebApplication application, SnapshotStore store, string address, SnapshotterDriver driver)
    {
        _application = application;
        _store = store;
        Address = address;
        Driver = driver;
    }

    /// <summary>The unix socket path being served.</summary>
    public string Address { get; }

    /// <summary>The root directory (database and snapshot directories).</summary>
    public string Root => _store.Layout.Root;

    /// <summary>The driver in force.</summary>
    public SnapshotterDriver Driver { get; }

    /// <summary>Completes when the host is asked to stop (SIGTERM, SIGINT) or <paramref name="cancellationToken"/> fires.</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken) => _application.WaitForShutdownAsync(cancellationToken);

    /// <summary>Stops serving (in-flight calls get a short grace period) and closes the database.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        using (var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            await _application.StopAsync(grace.Token).ConfigureAwait(false);
        }
        await _application.DisposeAsync().ConfigureAwait(false);
        await _store.DisposeAsync().ConfigureAwait(false);
        File.Delete(Address);
    }
}
