using System.Globalization;
using GuestPull.Linux;
using GuestPull.Oci.Model;
using Microsoft.Data.Sqlite;
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

    private readonly SqliteConnection _db;
    private readonly SemaphoreSlim _dbGate = new(1, 1);
    private readonly ILogger _logger;
    private FileStream _storeLock;
    private bool _disposed;

    private LayerStore(string root, SqliteConnection db, FileStream storeLock, ILogger logger)
    {
        Root = root;
        _db = db;
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

        SqliteConnection? db = null;
        try
        {
            db = await OpenDatabaseAsync(Path.Combine(full, "metadata.db"), cancellationToken).ConfigureAwait(false);
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
        var layers = await QueryLayersAsync("WHERE diff_id = $d", diffId.ToString(), cancellationToken).ConfigureAwait(false);
        return layers.Count == 0 ? null : layers[0];
    }

    /// <summary>Every layer in the store.</summary>
    /// <param name="cancellationToken">Cancels the query.</param>
    public Task<IReadOnlyList<LayerRecord>> ListLayersAsync(CancellationToken cancellationToken = default)
        => QueryLayersAsync(string.Empty, null, cancellationToken);

    /// <summary>
    /// Creates an empty private directory under <c>tmp/</c> for the caller to unpack a layer into;
    /// hand it to <see cref="CommitLayerAsync"/> or <see cref="AbortLayer"/>.
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
    public async Task<bool> CommitLayerAsync(string tempDirectory, Digest diffId, Digest? compressedDigest, string mediaType, long unpackedSize, CancellationToken cancellationToken = default)
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
            await WithDatabaseAsync(async () =>
            {
                var now = Now();
                using var command = _db.CreateCommand();
                command.CommandText = """
                    INSERT INTO layers (diff_id, compressed_digest, media_type, unpacked_size, created, last_used)
                    VALUES ($d, $c, $m, $s, $now, $now) ON CONFLICT(diff_id) DO NOTHING
                    """;
                command.Parameters.AddWithValue("$d", diffId.ToString());
                command.Parameters.AddWithValue("$c", compressedDigest?.ToString() ?? (object)DBNull.Value);
                command.Parameters.AddWithValue("$m", mediaType);
                command.Parameters.AddWithValue("$s", unpackedSize);
                command.Parameters.AddWithValue("$now", now);
                await command.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
                return 0;
            }, CancellationToken.None).ConfigureAwait(false);
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
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentException.ThrowIfNullOrEmpty(image.Reference);
        return WithDatabaseAsync(async () =>
        {
            await using var transaction = (SqliteTransaction)await _db.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            var now = Now();
            foreach (var diffId in image.DiffIds)
            {
                using var check = Command(transaction, "SELECT COUNT(*) FROM layers WHERE diff_id = $d");
                check.Parameters.AddWithValue("$d", diffId.ToString());
                if (Convert.ToInt64(await check.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture) == 0)
                {
                    throw new InvalidOperationException($"cannot record image {image.Reference}: its layer {diffId} is not in the store");
                }
            }

            using (var upsert = Command(transaction, """
                INSERT INTO images (reference, manifest_digest, index_digest, config_digest, platform, config_json, created, last_used)
                VALUES ($r, $m, $i, $c, $p, $j, $now, $now)
                ON CONFLICT(reference) DO UPDATE SET manifest_digest = excluded.manifest_digest, index_digest = excluded.index_digest,
                    config_digest = excluded.config_digest, platform = excluded.platform, config_json = excluded.config_json,
                    last_used = excluded.last_used
                """))
            {
                upsert.Parameters.AddWithValue("$r", image.Reference);
                upsert.Parameters.AddWithValue("$m", image.ManifestDigest.ToString());
                upsert.Parameters.AddWithValue("$i", image.IndexDigest?.ToString() ?? (object)DBNull.Value);
                upsert.Parameters.AddWithValue("$c", image.ConfigDigest.ToString());
                upsert.Parameters.AddWithValue("$p", image.Platform);
                upsert.Parameters.AddWithValue("$j", image.ConfigJson);
                upsert.Parameters.AddWithValue("$now", now);
                await upsert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            using (var clear = Command(transaction, "DELETE FROM image_layers WHERE image = $r"))
            {
                clear.Parameters.AddWithValue("$r", image.Reference);
                await clear.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            for (var position = 0; position < image.DiffIds.Count; position++)
            {
                using var insert = Command(transaction, "INSERT INTO image_layers (image, position, diff_id) VALUES ($r, $p, $d)");
                insert.Parameters.AddWithValue("$r", image.Reference);
                insert.Parameters.AddWithValue("$p", position);
                insert.Parameters.AddWithValue("$d", image.DiffIds[position].ToString());
                await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                using var touch = Command(transaction, "UPDATE layers SET last_used = $now WHERE diff_id = $d");
                touch.Parameters.AddWithValue("$now", now);
                touch.Parameters.AddWithValue("$d", image.DiffIds[position].ToString());
                await touch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return 0;
        }, cancellationToken);
    }

    /// <summary>The image recorded under <paramref name="reference"/>, or null.</summary>
    /// <param name="reference">The reference it was recorded with.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    public async Task<ImageRecord?> GetImageAsync(string reference, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(reference);
        var images = await QueryImagesAsync(reference, cancellationToken).ConfigureAwait(false);
        return images.Count == 0 ? null : images[0];
    }

    /// <summary>Every recorded image, ordered by reference.</summary>
    /// <param name="cancellationToken">Cancels the query.</param>
    public Task<IReadOnlyList<ImageRecord>> ListImagesAsync(CancellationToken cancellationToken = default)
        => QueryImagesAsync(null, cancellationToken);

    /// <summary>Forgets an image; its layers stay until <see cref="PruneAsync"/>. Returns whether it was recorded.</summary>
    /// <param name="reference">The reference it was recorded with.</param>
    /// <param name="cancellationToken">Cancels the update.</param>
    public Task<bool> RemoveImageAsync(string reference, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(reference);
        return WithDatabaseAsync(async () =>
        {
            using var command = Command(null, "DELETE FROM images WHERE reference = $r");
            command.Parameters.AddWithValue("$r", reference);
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) > 0;
        }, cancellationToken);
    }

    /// <summary>
    /// Deletes every layer no recorded image uses: its row first, then its directory. A layer whose
    /// download lock is held (a pull of it is running somewhere) is left alone.
    /// </summary>
    /// <param name="cancellationToken">Stops between layers.</param>
    public async Task<PruneResult> PruneAsync(CancellationToken cancellationToken = default)
    {
        var unused = await WithDatabaseAsync(async () =>
        {
            using var command = Command(null, "SELECT diff_id, unpacked_size FROM layers WHERE diff_id NOT IN (SELECT diff_id FROM image_layers)");
            var list = new List<(Digest DiffId, long Size)>();
            using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                list.Add((Digest.Parse(reader.GetString(0)), reader.GetInt64(1)));
            }

            return list;
        }, cancellationToken).ConfigureAwait(false);

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

            var deleted = await WithDatabaseAsync(async () =>
            {
                using var command = Command(null, "DELETE FROM layers WHERE diff_id = $d AND NOT EXISTS (SELECT 1 FROM image_layers WHERE diff_id = $d)");
                command.Parameters.AddWithValue("$d", diffId.ToString());
                return await command.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false) > 0;
            }, CancellationToken.None).ConfigureAwait(false);
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
    public async ValueTask DisposeAsync()
    {
        await _dbGate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            await _db.DisposeAsync().ConfigureAwait(false);
            await _storeLock.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            _dbGate.Release();
        }
    }

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

    private static async Task<SqliteConnection> OpenDatabaseAsync(string path, CancellationToken cancellationToken)
    {
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            ForeignKeys = true,
            Pooling = false,
            // Also SQLite's busy timeout: another process's write transaction is waited for.
            DefaultTimeout = 60,
        };
        var db = new SqliteConnection(builder.ToString());
        try
        {
            await db.OpenAsync(cancellationToken).ConfigureAwait(false);
            using var command = db.CreateCommand();
            command.CommandText = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;" + StoreSchema.Create
                + $"PRAGMA user_version = {StoreSchema.Version.ToString(CultureInfo.InvariantCulture)};";
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return db;
        }
        catch (SqliteException e)
        {
            await db.DisposeAsync().ConfigureAwait(false);
            throw new IOException($"cannot open the layer store database '{path}': {e.Message}", e);
        }
    }

    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private static DateTimeOffset Time(long milliseconds) => DateTimeOffset.FromUnixTimeMilliseconds(milliseconds);

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

    private SqliteCommand Command(SqliteTransaction? transaction, string text)
    {
        var command = _db.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = text;
        return command;
    }

    private async Task<T> WithDatabaseAsync<T>(Func<Task<T>> body, CancellationToken cancellationToken)
    {
        await _dbGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfDisposed();
            return await body().ConfigureAwait(false);
        }
        finally
        {
            _dbGate.Release();
        }
    }

    private Task<IReadOnlyList<LayerRecord>> QueryLayersAsync(string where, string? diffId, CancellationToken cancellationToken)
        => WithDatabaseAsync<IReadOnlyList<LayerRecord>>(async () =>
        {
            using var command = Command(null, "SELECT diff_id, compressed_digest, media_type, unpacked_size, created, last_used FROM layers " + where + " ORDER BY diff_id");
            if (diffId is not null)
            {
                command.Parameters.AddWithValue("$d", diffId);
            }

            var layers = new List<LayerRecord>();
            using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                layers.Add(new LayerRecord
                {
                    DiffId = Digest.Parse(reader.GetString(0)),
                    CompressedDigest = await reader.IsDBNullAsync(1, cancellationToken).ConfigureAwait(false) ? null : Digest.Parse(reader.GetString(1)),
                    MediaType = reader.GetString(2),
                    UnpackedSize = reader.GetInt64(3),
                    Created = Time(reader.GetInt64(4)),
                    LastUsed = Time(reader.GetInt64(5)),
                });
            }

            return layers;
        }, cancellationToken);

    private Task<IReadOnlyList<ImageRecord>> QueryImagesAsync(string? reference, CancellationToken cancellationToken)
        => WithDatabaseAsync<IReadOnlyList<ImageRecord>>(async () =>
        {
            await using var transaction = (SqliteTransaction)await _db.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            using var command = Command(transaction, """
                SELECT reference, manifest_digest, index_digest, config_digest, platform, config_json, created, last_used
                FROM images
                """ + (reference is null ? string.Empty : " WHERE reference = $r") + " ORDER BY reference");
            if (reference is not null)
            {
                command.Parameters.AddWithValue("$r", reference);
            }

            var images = new List<ImageRecord>();
            using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    images.Add(new ImageRecord
                    {
                        Reference = reader.GetString(0),
                        ManifestDigest = Digest.Parse(reader.GetString(1)),
                        IndexDigest = await reader.IsDBNullAsync(2, cancellationToken).ConfigureAwait(false) ? null : Digest.Parse(reader.GetString(2)),
                        ConfigDigest = Digest.Parse(reader.GetString(3)),
                        Platform = reader.GetString(4),
                        ConfigJson = reader.GetString(5),
                        Created = Time(reader.GetInt64(6)),
                        LastUsed = Time(reader.GetInt64(7)),
                        DiffIds = [],
                    });
                }
            }

            for (var i = 0; i < images.Count; i++)
            {
                using var layers = Command(transaction, "SELECT diff_id FROM image_layers WHERE image = $r ORDER BY position");
                layers.Parameters.AddWithValue("$r", images[i].Reference);
                var diffIds = new List<Digest>();
                using var reader = await layers.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    diffIds.Add(Digest.Parse(reader.GetString(0)));
                }

                images[i] = images[i] with { DiffIds = diffIds };
            }

            return images;
        }, cancellationToken);

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
