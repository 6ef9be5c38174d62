using System.Globalization;
using GuestPull.Linux;
using GuestPull.Oci.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace GuestPull.Images.Store;

/// <summary>
/// Unpacked layers, one directory per DiffID (<c>layers/sha256/&lt;hex&gt;</c>, whiteouts in overlayfs
/// form), and the images that use them, described in <c>metadata.db</c> (SQLite, WAL). A layer
/// directory is renamed into place before its row is written and its row is deleted before the
/// directory, so after a crash at any point <see cref="OpenAsync(string, CancellationToken)"/>
/// finds only leftovers it can delete: temporary directories, directories without a row, and rows
/// (with the images using them) whose directory is gone.
/// </summary>
public sealed partial class LayerStore : IAsyncDisposable
{
    /// <summary>The store root used when none is given.</summary>
    public const string DefaultRoot = "/var/lib/guestpull";

    internal const UnixFileMode PrivateDirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private static readonly TimeSpan StoreLockRetryDelay = TimeSpan.FromMilliseconds(50);

    private readonly StoreDatabase _database;
    private readonly ImageCatalog _images;
    private readonly ILogger _logger;
    private FileStream _storeLock;

    private LayerStore(string root, StoreDatabase database, FileStream storeLock, ILogger logger)
    {
        Root = root;
        _database = database;
        _images = new ImageCatalog(database);
        _storeLock = storeLock;
        _logger = logger;
        Downloads = new LayerDownloadCoordinator(LocksDirectory);
    }

    /// <summary>The store's root directory (absolute).</summary>
    public string Root { get; }

    /// <summary>Shares one download per layer between concurrent pulls (in this process and, through lock files, others).</summary>
    public LayerDownloadCoordinator Downloads { get; }

    private string LayersDirectory => Path.Combine(Root, "layers");

    private string TempDirectory => Path.Combine(Root, "tmp");

    private string LocksDirectory => Path.Combine(Root, "locks");

    /// <summary>Opens (creating if needed) the store at <paramref name="root"/> and repairs what a crash left behind.</summary>
    /// <param name="root">The root directory, e.g. <see cref="DefaultRoot"/>.</param>
    /// <param name="cancellationToken">Cancels the open.</param>
    public static Task<LayerStore> OpenAsync(string root, CancellationToken cancellationToken = default)
        => OpenAsync(root, NullLogger.Instance, cancellationToken);

    /// <summary>Opens (creating if needed) the store at <paramref name="root"/> and repairs what a crash left behind.</summary>
    /// <param name="root">The root directory, e.g. <see cref="DefaultRoot"/>.</param>
    /// <param name="logger">Receives what the repair removed.</param>
    /// <param name="cancellationToken">Cancels the open.</param>
    public static async Task<LayerStore> OpenAsync(string root, ILogger logger, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        ArgumentNullException.ThrowIfNull(logger);
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        foreach (var directory in (ReadOnlySpan<string>)[full, Path.Combine(full, "layers"), Path.Combine(full, "layers", "sha256"), Path.Combine(full, "layers", "sha512"), Path.Combine(full, "tmp"), Path.Combine(full, "locks")])
        {
            Directory.CreateDirectory(directory, PrivateDirectoryMode);
        }

        File.SetUnixFileMode(full, PrivateDirectoryMode);

        // Whoever gets the store lock exclusively is alone and may delete in-progress work (tmp/,
        // unregistered layer directories); everyone else holds it shared while the store is open.
        var lockPath = Path.Combine(full, "store.lock");
        var exclusive = LayerFileLock.TryAcquire(lockPath, FileShare.None);
        var shared = exclusive is null ? await AcquireSharedAsync(lockPath, cancellationToken).ConfigureAwait(false) : null;

        StoreDatabase? db = null;
        try
        {
            db = await StoreDatabase.OpenAsync(Path.Combine(full, "metadata.db"), typeof(LayerStore), cancellationToken).ConfigureAwait(false);
            var store = new LayerStore(full, db, (exclusive ?? shared)!, logger);
            await store.RepairAsync(fullRepair: exclusive is not null, cancellationToken).ConfigureAwait(false);
            if (exclusive is not null)
            {
                await exclusive.DisposeAsync().ConfigureAwait(false);
                exclusive = null;
                store._storeLock = await AcquireSharedAsync(lockPath, cancellationToken).ConfigureAwait(false);
            }

            return store;
        }
        catch
        {
            if (exclusive is not null)
            {
                await exclusive.DisposeAsync().ConfigureAwait(false);
            }

            if (shared is not null)
            {
                await shared.DisposeAsync().ConfigureAwait(false);
            }

            if (db is not null)
            {
                await db.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }
    }

    /// <summary>The directory of the layer <paramref name="diffId"/> (whether or not it is in the store).</summary>
    /// <param name="diffId">The layer's DiffID.</param>
    public string LayerPath(Digest diffId)
    {
        if (diffId.IsEmpty)
        {
            throw new ArgumentException("the DiffID is empty", nameof(diffId));
        }

        return Path.Combine(LayersDirectory, diffId.Algorithm, diffId.Hex);
    }

    /// <summary>Whether the layer is committed to the store.</summary>
    /// <param name="diffId">The layer's DiffID.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    public async Task<bool> HasLayerAsync(Digest diffId, CancellationToken cancellationToken = default)
        => await GetLayerAsync(diffId, cancellationToken).ConfigureAwait(false) is not null;

    /// <summary>The layer's metadata, or null when it is not in the store.</summary>
    /// <param name="diffId">The layer's DiffID.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    public async Task<LayerRecord?> GetLayerAsync(Digest diffId, CancellationToken cancellationToken = default)
    {
        _ = LayerPath(diffId);
        var layers = await _database.QueryLayersAsync(diffId, cancellationToken).ConfigureAwait(false);
        return layers.Count == 0 ? null : layers[0];
    }

    /// <summary>Every layer in the store.</summary>
    /// <param name="cancellationToken">Cancels the query.</param>
    public Task<IReadOnlyList<LayerRecord>> ListLayersAsync(CancellationToken cancellationToken = default)
        => _database.QueryLayersAsync(null, cancellationToken);

    /// <summary>
    /// Creates an empty private directory under <c>tmp/</c> for the caller to unpack a layer into;
    /// hand it to <see cref="CommitLayerAsync(string, Digest, Digest?, string, long, CancellationToken)"/> or <see cref="AbortLayer"/>.
    /// </summary>
    public string CreateTempLayerDirectory()
    {
        ThrowIfDisposed();
        var path = Path.Combine(TempDirectory, "layer-" + Guid.NewGuid().ToString("N", CultureInfo.InvariantCulture));
        Directory.CreateDirectory(path, PrivateDirectoryMode);
        return path;
    }

    /// <summary>
    /// Moves a filled temporary directory into the store as layer <paramref name="diffId"/> and records
    /// it. When the layer is already there (another pull won), the temporary directory is deleted.
    /// Returns whether this call added the layer.
    /// </summary>
    /// <param name="tempDirectory">A directory from <see cref="CreateTempLayerDirectory"/>.</param>
    /// <param name="diffId">The verified DiffID of the unpacked tar.</param>
    /// <param name="compressedDigest">The verified digest of the blob as fetched, if any.</param>
    /// <param name="mediaType">The blob's media type.</param>
    /// <param name="unpackedSize">The size of the uncompressed tar.</param>
    /// <param name="cancellationToken">Cancels before the move.</param>
    public Task<bool> CommitLayerAsync(string tempDirectory, Digest diffId, Digest? compressedDigest, string mediaType, long unpackedSize, CancellationToken cancellationToken = default)
        => CommitLayerAsync(tempDirectory, diffId, compressedDigest, mediaType, unpackedSize, keyCheck: null, cancellationToken);

    /// <summary>
    /// <see cref="CommitLayerAsync(string, Digest, Digest?, string, long, CancellationToken)"/> for a layer
    /// decrypted from an encrypted blob: its key's check (see <see cref="IsLayerUsableAsync"/>) is recorded with the row.
    /// </summary>
    /// <param name="tempDirectory">A directory from <see cref="CreateTempLayerDirectory"/>.</param>
    /// <param name="diffId">The verified DiffID of the unpacked tar.</param>
    /// <param name="compressedDigest">The verified digest of the blob as fetched, if any.</param>
    /// <param name="mediaType">The blob's media type.</param>
    /// <param name="unpackedSize">The size of the uncompressed tar.</param>
    /// <param name="keyCheck">The layer key's check, or null for a plain layer.</param>
    /// <param name="cancellationToken">Cancels before the move.</param>
    public async Task<bool> CommitLayerAsync(string tempDirectory, Digest diffId, Digest? compressedDigest, string mediaType, long unpackedSize, string? keyCheck, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(mediaType);
        ArgumentOutOfRangeException.ThrowIfNegative(unpackedSize);
        var tempName = CheckTempDirectory(tempDirectory);
        var target = LayerPath(diffId);
        cancellationToken.ThrowIfCancellationRequested();
        Directory.CreateDirectory(Path.GetDirectoryName(target)!, PrivateDirectoryMode);

        bool added;
        using (var tempParent = FileSystemCalls.Open(TempDirectory, OpenFlags.Path | OpenFlags.Directory))
        using (var layerParent = FileSystemCalls.Open(Path.GetDirectoryName(target)!, OpenFlags.Path | OpenFlags.Directory))
        {
            if (!FileSystemCalls.TryStatAt(tempParent, tempName, out var status) || !status.IsDirectory)
            {
                throw new ArgumentException($"'{tempDirectory}' is not a directory the store created", nameof(tempDirectory));
            }

            try
            {
                // NOREPLACE: a layer directory, once in place, is never swapped under a reader.
                FileSystemCalls.RenameAt(tempParent, tempName, layerParent, diffId.Hex, RenameFlags.NoReplace);
                added = true;
            }
            catch (NativeCallException e) when (e.Errno is Errno.EEXIST or Errno.ENOTEMPTY)
            {
                added = false;
            }
        }

        if (!added)
        {
            TreeRemover.Delete(tempDirectory);
        }

        try
        {
            await _database.InsertLayerAsync(diffId, compressedDigest, mediaType, unpackedSize, keyCheck, CancellationToken.None).ConfigureAwait(false);
        }
        catch when (added)
        {
            // Without its row the directory is an orphan; remove it now rather than at the next open.
            TryDelete(target);
            throw;
        }

        return added;
    }

    /// <summary>Deletes a temporary directory from <see cref="CreateTempLayerDirectory"/> (a failed or cancelled unpack).</summary>
    /// <param name="tempDirectory">The directory.</param>
    public void AbortLayer(string tempDirectory)
    {
        CheckTempDirectory(tempDirectory);
        TreeRemover.Delete(tempDirectory);
    }

    /// <summary>
    /// Records (or updates) an image whose layers are all in the store, and marks them used.
    /// </summary>
    /// <param name="image">The image; <see cref="ImageRecord.Created"/> and <see cref="ImageRecord.LastUsed"/> are set by the store.</param>
    /// <param name="cancellationToken">Cancels the update.</param>
    /// <exception cref="InvalidOperationException">A layer of the image is not in the store.</exception>
    public Task RecordImageAsync(ImageRecord image, CancellationToken cancellationToken = default)
        => _images.RecordAsync(image, cancellationToken);

    /// <summary>The image recorded under <paramref name="reference"/>, or null.</summary>
    /// <param name="reference">The reference it was recorded with.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    public Task<ImageRecord?> GetImageAsync(string reference, CancellationToken cancellationToken = default)
        => _images.GetAsync(reference, cancellationToken);

    /// <summary>Every recorded image, ordered by reference.</summary>
    /// <param name="cancellationToken">Cancels the query.</param>
    public Task<IReadOnlyList<ImageRecord>> ListImagesAsync(CancellationToken cancellationToken = default)
        => _images.ListAsync(cancellationToken);

    /// <summary>Forgets an image; its layers stay until <see cref="PruneAsync"/>. Returns whether it was recorded.</summary>
    /// <param name="reference">The reference it was recorded with.</param>
    /// <param name="cancellationToken">Cancels the update.</param>
    public Task<bool> RemoveImageAsync(string reference, CancellationToken cancellationToken = default)
        => _images.RemoveAsync(reference, cancellationToken);

    /// <summary>
    /// Deletes every layer no recorded image uses: its row first, then its directory. A layer whose
    /// download lock is held (a pull of it is running somewhere) is left alone.
    /// </summary>
    /// <param name="cancellationToken">Stops between layers.</param>
    public async Task<PruneResult> PruneAsync(CancellationToken cancellationToken = default)
    {
        var unused = await _database.QueryUnusedLayersAsync(cancellationToken).ConfigureAwait(false);

        var removed = new List<Digest>();
        long bytes = 0;
        foreach (var (diffId, size) in unused)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var layerLock = LayerFileLock.TryAcquire(Path.Combine(LocksDirectory, diffId.Hex + ".lock"), FileShare.None);
            if (layerLock is null)
            {
                continue;
            }

            var deleted = await _database.DeleteUnusedLayerAsync(diffId, CancellationToken.None).ConfigureAwait(false);
            if (deleted)
            {
                TreeRemover.Delete(LayerPath(diffId));
                removed.Add(diffId);
                bytes += size;
            }
        }

        return new PruneResult(removed, bytes);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _database.DisposeAsync(alsoDispose: _storeLock);

    private static async Task<FileStream> AcquireSharedAsync(string lockPath, CancellationToken cancellationToken)
    {
        // Fails only while another process holds it exclusively, i.e. during its short repair.
        while (true)
        {
            if (LayerFileLock.TryAcquire(lockPath, FileShare.ReadWrite) is { } shared)
            {
                return shared;
            }

            await Task.Delay(StoreLockRetryDelay, cancellationToken).ConfigureAwait(false);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            TreeRemover.Delete(path);
        }
        catch (IOException)
        {
        }
    }

    private string CheckTempDirectory(string tempDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(tempDirectory);
        ThrowIfDisposed();
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(tempDirectory));
        if (Path.GetDirectoryName(full) != TempDirectory)
        {
            throw new ArgumentException($"'{tempDirectory}' is not a temporary layer directory of the store at '{Root}'", nameof(tempDirectory));
        }

        return Path.GetFileName(full);
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_database.IsDisposed, this);
}
