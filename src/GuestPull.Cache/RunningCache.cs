using GuestPull.Cache.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;

namespace GuestPull.Cache;

/// <summary>A cache that is serving; disposing it stops it and cancels fetches under way.</summary>
public sealed class RunningCache : IAsyncDisposable
{
    private readonly WebApplication _application;
    private readonly BlobStore _store;
    private readonly IDisposable _upstream;

    internal RunningCache(WebApplication application, BlobStore store, IDisposable upstream, string address, CacheMetrics metrics)
    {
        _application = application;
        _store = store;
        _upstream = upstream;
        Address = address;
        Metrics = metrics;
    }

    /// <summary>The bound <c>HOST:PORT</c>, e.g. <c>127.0.0.1:5050</c>: the mirror location's host part.</summary>
    public string Address { get; }

    /// <summary>The counters also served at <c>/metrics</c>.</summary>
    public CacheMetrics Metrics { get; }

    /// <summary>Bytes held by entries now.</summary>
    public long StoreBytes => _store.TotalBytes;

    /// <summary>Where an entry for <paramref name="digest"/> lives (it may not exist).</summary>
    public string EntryPath(Oci.Model.Digest digest) => _store.EntryPath(digest);

    /// <summary>Waits until the process is asked to stop (SIGTERM/SIGINT) or <paramref name="cancellationToken"/> fires.</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken) => _application.WaitForShutdownAsync(cancellationToken);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _store.Dispose();
        await _application.StopAsync().ConfigureAwait(false);
        await _application.DisposeAsync().ConfigureAwait(false);
        _upstream.Dispose();
    }
}
