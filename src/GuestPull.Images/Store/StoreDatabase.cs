using System.Globalization;
using GuestPull.Oci.Model;
using Microsoft.Data.Sqlite;

namespace GuestPull.Images.Store;

/// <summary>
/// The layer store's <c>metadata.db</c> (SQLite, WAL): the connection with its schema, one statement or
/// transaction at a time (a connection is not thread-safe), and the queries on the layer rows.
/// The image rows are <see cref="ImageCatalog"/>'s.
/// </summary>
internal sealed class StoreDatabase : IAsyncDisposable
{
    private readonly SqliteConnection _db;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Type _owner;
    private bool _disposed;

    private StoreDatabase(SqliteConnection db, Type owner)
    {
        _db = db;
        _owner = owner;
    }

    /// <summary>Whether the database was disposed.</summary>
    public bool IsDisposed => _disposed;

    /// <summary>Opens (creating if needed) the database at <paramref name="path"/> with the current schema.</summary>
    /// <param name="path">The database file.</param>
    /// <param name="owner">The type named by the <see cref="ObjectDisposedException"/> thrown once the database is disposed.</param>
    /// <param name="cancellationToken">Cancels the open.</param>
    public static async Task<StoreDatabase> OpenAsync(string path, Type owner, CancellationToken cancellationToken)
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
            return new StoreDatabase(db, owner);
        }
        catch (SqliteException e)
        {
            await db.DisposeAsync().ConfigureAwait(false);
            throw new IOException($"cannot open the layer store database '{path}': {e.Message}", e);
        }
    }

    /// <summary>The time stored in the rows: Unix milliseconds.</summary>
    public static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    /// <summary>A stored time as a <see cref="DateTimeOffset"/>.</summary>
    public static DateTimeOffset Time(long milliseconds) => DateTimeOffset.FromUnixTimeMilliseconds(milliseconds);

    /// <summary>
    /// Records a layer whose directory is in place; nothing when it is already recorded. A key check (the
    /// layer came from an encrypted blob) is recorded in the same transaction, so the layer is never
    /// visible without its protection.
    /// </summary>
    public Task InsertLayerAsync(Digest diffId, Digest? compressedDigest, string mediaType, long unpackedSize, string? keyCheck, CancellationToken cancellationToken)
        => RunAsync(async () =>
        {
            var now = Now();
            await using var transaction = await BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            using var command = Command(transaction, string.Empty);
            command.CommandText = """
                INSERT INTO layers (diff_id, compressed_digest, media_type, unpacked_size, created, last_used)
                VALUES ($d, $c, $m, $s, $now, $now) ON CONFLICT(diff_id) DO NOTHING
                """;
            command.Parameters.AddWithValue("$d", diffId.ToString());
            command.Parameters.AddWithValue("$c", compressedDigest?.ToString() ?? (object)DBNull.Value);
            command.Parameters.AddWithValue("$m", mediaType);
            command.Parameters.AddWithValue("$s", unpackedSize);
            command.Parameters.AddWithValue("$now", now);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            if (keyCheck is not null)
            {
                using var key = Command(transaction, "INSERT INTO layer_keys (diff_id, key_check) VALUES ($d, $k) ON CONFLICT DO NOTHING");
                key.Parameters.AddWithValue("$d", diffId.ToString());
                key.Parameters.AddWithValue("$k", keyCheck);
                await key.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return 0;
        }, cancellationToken);

    /// <summary>The layer rows, all or the one of <paramref name="diffId"/>, ordered by DiffID.</summary>
    public Task<IReadOnlyList<LayerRecord>> QueryLayersAsync(Digest? diffId, CancellationToken cancellationToken)
        => RunAsync<IReadOnlyList<LayerRecord>>(async () =>
        {
            using var command = Command(null, "SELECT diff_id, compressed_digest, media_type, unpacked_size, created, last_used FROM layers " + (diffId is null ? string.Empty : "WHERE diff_id = $d") + " ORDER BY diff_id");
            if (diffId is { } wanted)
            {
                command.Parameters.AddWithValue("$d", wanted.ToString());
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

    /// <summary>The layers no recorded image uses, with their unpacked sizes.</summary>
    public Task<List<(Digest DiffId, long Size)>> QueryUnusedLayersAsync(CancellationToken cancellationToken)
        => RunAsync(async () =>
        {
            using var command = Command(null, "SELECT diff_id, unpacked_size FROM layers WHERE diff_id NOT IN (SELECT diff_id FROM image_layers)");
            var list = new List<(Digest DiffId, long Size)>();
            using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                list.Add((Digest.Parse(reader.GetString(0)), reader.GetInt64(1)));
            }

            return list;
        }, cancellationToken);

    /// <summary>Deletes the layer's row unless an image uses it (again); returns whether it was deleted.</summary>
    public Task<bool> DeleteUnusedLayerAsync(Digest diffId, CancellationToken cancellationToken)
        => RunAsync(async () =>
        {
            using var command = Command(null, "DELETE FROM layers WHERE diff_id = $d AND NOT EXISTS (SELECT 1 FROM image_layers WHERE diff_id = $d)");
            command.Parameters.AddWithValue("$d", diffId.ToString());
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) > 0;
        }, cancellationToken);

    /// <summary>Deletes the rows of the layers, and the images using them, in one transaction.</summary>
    public Task DeleteLayersAndTheirImagesAsync(IReadOnlyList<Digest> diffIds, CancellationToken cancellationToken)
        => RunAsync(async () =>
        {
            await using var transaction = await BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            foreach (var diffId in diffIds)
            {
                using var images = Command(transaction, "DELETE FROM images WHERE reference IN (SELECT image FROM image_layers WHERE diff_id = $d)");
                images.Parameters.AddWithValue("$d", diffId.ToString());
                await images.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                using var layer = Command(transaction, "DELETE FROM layers WHERE diff_id = $d");
                layer.Parameters.AddWithValue("$d", diffId.ToString());
                await layer.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return 0;
        }, cancellationToken);

    /// <summary>Runs <paramref name="body"/> alone on the connection; throws once the database is disposed.</summary>
    public async Task<T> RunAsync<T>(Func<Task<T>> body, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, _owner);
            return await body().ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Begins a transaction; only inside <see cref="RunAsync"/>.</summary>
    public async Task<SqliteTransaction> BeginTransactionAsync(CancellationToken cancellationToken)
        => (SqliteTransaction)await _db.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>A command on the connection, in <paramref name="transaction"/> if any; only inside <see cref="RunAsync"/>.</summary>
    public SqliteCommand Command(SqliteTransaction? transaction, string text)
    {
        var command = _db.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = text;
        return command;
    }

    /// <summary>Closes the connection once no statement runs; later calls throw <see cref="ObjectDisposedException"/>.</summary>
    /// <param name="alsoDispose">Disposed with the connection, under the same lock (the owner's store lock).</param>
    public async ValueTask DisposeAsync(IAsyncDisposable? alsoDispose)
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            await _db.DisposeAsync().ConfigureAwait(false);
            if (alsoDispose is not null)
            {
                await alsoDispose.DisposeAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => DisposeAsync(null);
}
