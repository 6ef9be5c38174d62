using GuestPull.Linux;
using GuestPull.Oci.Model;
using Microsoft.Extensions.Logging;

namespace GuestPull.Cache.Store;

/// <summary>
/// The cache's files: verified entries named by digest under <c>blobs/ALGORITHM/HEX</c> (manifests
/// and blobs alike; the content is what the digest names), downloads under way in <c>incoming/</c>.
/// An entry appears only by rename after its digest verified, so a crash leaves entries whole and
/// at most some <c>incoming/</c> files, which opening the store deletes. Last use is the entry's
/// modification time (touched on every hit), so the LRU order survives a restart.
/// </summary>
internal sealed class BlobStore : IDisposable
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private readonly Lock _gate = new();
    private readonly LruIndex<Digest> _index = new();
    private readonly Dictionary<Digest, BlobDownload> _downloads = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly ILogger _logger;
    private readonly string _blobs;
    private readonly string _incoming;

    private BlobStore(string root, long maxBytes, ILogger logger)
    {
        Root = root;
        MaxBytes = maxBytes;
        _logger = logger;
        _blobs = Path.Combine(root, "blobs");
        _incoming = Path.Combine(root, "incoming");
    }

    public string Root { get; }

    public long MaxBytes { get; }

    /// <summary>Called with the number of entries each eviction pass removed.</summary>
    public Action<int>? OnEvicted { get; init; }

    public long TotalBytes
    {
        get
        {
            lock (_gate)
            {
                return _index.TotalBytes;
            }
        }
    }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _index.Count;
            }
        }
    }

    /// <summary>Creates or reopens the store at <paramref name="root"/>: leftovers of interrupted downloads are deleted, entries indexed by last use.</summary>
    public static BlobStore Open(string root, long maxBytes, ILogger logger, Action<int>? onEvicted = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        var store = new BlobStore(Path.GetFullPath(root), maxBytes, logger) { OnEvicted = onEvicted };
        Directory.CreateDirectory(store.Root, OwnerOnly);
        Directory.CreateDirectory(store._blobs, OwnerOnly);
        Directory.CreateDirectory(store._incoming, OwnerOnly);
        foreach (var leftover in Directory.EnumerateFiles(store._incoming))
        {
            File.Delete(leftover);
        }

        var entries = new List<(Digest Digest, long Size, DateTime Used)>();
        foreach (var algorithmDirectory in Directory.EnumerateDirectories(store._blobs))
        {
            var algorithm = Path.GetFileName(algorithmDirectory);
            foreach (var file in Directory.EnumerateFiles(algorithmDirectory))
            {
                if (!Digest.TryParse(algorithm + ":" + Path.GetFileName(file), out var digest))
                {
                    logger.LogWarning("cache: ignoring {File}: not named by a digest", file);
                    continue;
                }

                var info = new FileInfo(file);
                entries.Add((digest, info.Length, info.LastWriteTimeUtc));
            }
        }

        foreach (var (digest, size, _) in entries.OrderBy(e => e.Used))
        {
            store._index.Add(digest, size);
        }

        store.Evict();
        return store;
    }

    public string EntryPath(Digest digest) => Path.Combine(_blobs, digest.Algorithm, digest.Hex);

    /// <summary>Opens the entry for <paramref name="digest"/> and marks it used; null when there is none.</summary>
    public CachedBlob? TryOpen(Digest digest)
    {
        var path = EntryPath(digest);
        lock (_gate)
        {
            if (!_index.Touch(digest))
            {
                return null;
            }
        }

        try
        {
            var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, FileOptions.Asynchronous);
            File.SetLastWriteTimeUtc(file, DateTime.UtcNow);
            return new CachedBlob(file, RandomAccess.GetLength(file));
        }
        catch (FileNotFoundException)
        {
            // Evicted, or removed by hand, since the index said it was there.
            Forget(digest);
            return null;
        }
    }

    /// <summary>Reads a small entry (a manifest) whole; null when there is none.</summary>
    public async Task<byte[]?> TryReadAsync(Digest digest, CancellationToken cancellationToken)
    {
        using var entry = TryOpen(digest);
        if (entry is null)
        {
            return null;
        }

        var bytes = new byte[entry.Size];
        var read = 0;
        while (read < bytes.Length)
        {
            var n = await RandomAccess.ReadAsync(entry.File, bytes.AsMemory(read), read, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }

            read += n;
        }

        return read == bytes.Length ? bytes : null;
    }

    /// <summary>Stores a small, already verified entry (a manifest) atomically.</summary>
    public void Add(Digest digest, ReadOnlySpan<byte> content)
    {
        var path = EntryPath(digest);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!, OwnerOnly);
        AtomicFile.Write(path, content, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        lock (_gate)
        {
            _index.Add(digest, content.Length);
        }

        Evict();
    }

    /// <summary>
    /// The download of <paramref name="digest"/>: the one under way, or a new one that
    /// <paramref name="open"/> starts in the background (it outlives the request that started it,
    /// so a client that goes away does not cut off the others).
    /// </summary>
    /// <returns>The download, and whether it was already under way; null when the blob became an entry meanwhile.</returns>
    public (BlobDownload Download, bool Joined)? GetOrStartDownload(Digest digest, Func<CancellationToken, Task<Stream>> open, Action<long> onUpstreamBytes)
    {
        BlobDownload download;
        lock (_gate)
        {
            if (_downloads.TryGetValue(digest, out var running))
            {
                return (running, true);
            }

            if (_index.Contains(digest))
            {
                return null;
            }

            var temporary = Path.Combine(_incoming, $"{digest.Algorithm}-{digest.Hex}.{Guid.NewGuid():N}");
            download = new BlobDownload(digest, temporary);
            _downloads.Add(digest, download);
        }

        _ = Task.Run(() => RunDownloadAsync(download, open, onUpstreamBytes));
        return (download, false);
    }

    /// <summary>Drops an entry found altered on disk.</summary>
    public void Discard(Digest digest)
    {
        Forget(digest);
        TryDelete(EntryPath(digest));
    }

    /// <summary>Cancels the fetches under way (their files are deleted); the token source stays alive for them to observe.</summary>
    public void Dispose() => _stopping.Cancel();

    private async Task RunDownloadAsync(BlobDownload download, Func<CancellationToken, Task<Stream>> open, Action<long> onUpstreamBytes)
    {
        try
        {
            await using (var upstream = await open(_stopping.Token).ConfigureAwait(false))
            {
                await download.FetchAsync(upstream, onUpstreamBytes, _stopping.Token).ConfigureAwait(false);
            }

            var path = EntryPath(download.Digest);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!, OwnerOnly);
            lock (_gate)
            {
                download.Commit(path);
                _index.Add(download.Digest, new FileInfo(path).Length);
                _downloads.Remove(download.Digest);
            }

            download.Complete();
            _logger.LogInformation("cache: stored {Digest} ({Size} bytes, verified)", download.Digest, await download.Started.ConfigureAwait(false));
            Evict();
        }
        catch (Exception ex)
        {
            lock (_gate)
            {
                _downloads.Remove(download.Digest);
            }

            download.Fail(ex);
            TryDelete(download.TemporaryPath);
            _logger.LogWarning("cache: fetching {Digest} failed: {Error}", download.Digest, ex.Message);
        }
    }

    private void Forget(Digest digest)
    {
        lock (_gate)
        {
            _index.Remove(digest);
        }
    }

    private void Evict()
    {
        List<(Digest Key, long Size)> evicted;
        lock (_gate)
        {
            evicted = _index.TrimTo(MaxBytes);
        }

        foreach (var (digest, size) in evicted)
        {
            // A client still reading the entry keeps its open file; the name goes now.
            TryDelete(EntryPath(digest));
            _logger.LogInformation("cache: evicted {Digest} ({Size} bytes) to stay under {Max} bytes", digest, size, MaxBytes);
        }

        if (evicted.Count > 0)
        {
            OnEvicted?.Invoke(evicted.Count);
        }
    }

    private void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException ex)
        {
            _logger.LogWarning("cache: could not delete {Path}: {Error}", path, ex.Message);
        }
    }
}
