using System.Data;
using System.Globalization;
using Microsoft.Data.Sqlite;

namespace GuestPull.Snapshotter.Storage;

/// <summary>
/// Snapshot metadata in SQLite (WAL; the rows are <see cref="SnapshotTable"/>'s), one transaction per operation,
/// and the snapshots' directories (<see cref="SnapshotDirectories"/>). Directories are created before
/// the row that owns them commits and removed after that row is deleted, so after a crash at any
/// point the only leftovers are directories no row owns, which <see cref="RemoveOrphanDirectoriesAsync"/>
/// (run at open and by Cleanup) deletes. Ids come from AUTOINCREMENT, so a committed id is never reused.
/// </summary>
internal sealed class SnapshotStore : IAsyncDisposable
{
    private const string Columns = SnapshotTable.Columns;

    // Writes go through one connection, one at a time: SQLite serialises writers anyway. Reads
    // (Stat, Mounts, List: the calls CRI makes every few seconds) use pooled read-only connections
    // and never wait for a writer's fsync, which WAL allows.
    private readonly SqliteConnection _connection;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly string _readConnectionString;
    private readonly TimeProvider _time;
    private readonly SnapshotDirectories _directories;

    private SnapshotStore(SnapshotLayout layout, SqliteConnection connection, TimeProvider time)
    {
        Layout = layout;
        _directories = new SnapshotDirectories(layout);
        _connection = connection;
        _time = time;
        _readConnectionString = new SqliteConnectionStringBuilder
        {
            DataSource = layout.DatabasePath,
            Mode = SqliteOpenMode.ReadOnly,
            Pooling = true,
        }.ToString();
    }

    public SnapshotLayout Layout { get; }

    /// <summary>Opens (creating if needed) the store under <paramref name="root"/> and repairs what a crash left.</summary>
    public static async Task<SnapshotStore> OpenAsync(string root, CancellationToken cancellationToken, TimeProvider? time = null)
    {
        var layout = new SnapshotLayout(root);
        UnixModes.CreateDirectory(layout.SnapshotsDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = layout.DatabasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
        }.ToString());
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await SnapshotTable.ExecuteAsync(connection, null, SnapshotTable.SchemaSql, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        var store = new SnapshotStore(layout, connection, time ?? TimeProvider.System);
        await store.RemoveOrphanDirectoriesAsync(cancellationToken).ConfigureAwait(false);
        return store;
    }

    /// <summary>The snapshot, or null.</summary>
    public async Task<SnapshotRecord?> FindAsync(string key, CancellationToken cancellationToken)
    {
        await using var connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM snapshots WHERE key = $key";
        command.Parameters.AddWithValue("$key", key);
        var rows = await SnapshotTable.ReadAllAsync(command, cancellationToken).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    /// <summary>The snapshot, or NotFound.</summary>
    public async Task<SnapshotRecord> GetAsync(string key, CancellationToken cancellationToken) =>
        await FindAsync(key, cancellationToken).ConfigureAwait(false)
        ?? throw SnapshotException.NotFound($"snapshot {key} does not exist");

    /// <summary>The snapshot followed by its ancestors, nearest first, read in one statement (one consistent view).</summary>
    public async Task<IReadOnlyList<SnapshotRecord>> GetChainAsync(string key, CancellationToken cancellationToken)
    {
        await using var connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            WITH RECURSIVE chain(depth, {Columns}) AS (
                SELECT 0, {Columns} FROM snapshots WHERE key = $key
                UNION ALL
                SELECT chain.depth + 1, s.id, s.key, s.parent, s.kind, s.labels, s.created, s.updated, s.size, s.inodes
                FROM snapshots s JOIN chain ON s.key = chain.parent
                WHERE chain.depth < 100000
            )
            SELECT {Columns} FROM chain ORDER BY depth
            """;
        command.Parameters.AddWithValue("$key", key);
        var chain = await SnapshotTable.ReadAllAsync(command, cancellationToken).ConfigureAwait(false);
        if (chain.Count == 0)
        {
            throw SnapshotException.NotFound($"snapshot {key} does not exist");
        }
        if (chain[^1].Parent is { } missing)
        {
            throw SnapshotException.NotFound($"missing parent {missing} of snapshot {chain[^1].Key}");
        }
        return chain;
    }

    /// <summary>Every snapshot.</summary>
    public async Task<IReadOnlyList<SnapshotRecord>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM snapshots ORDER BY id";
        return await SnapshotTable.ReadAllAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Creates an active or view snapshot (or, for the proxy driver, a committed one) with its directories.</summary>
    /// <remarks>
    /// With <c>recoverMissingParent</c>, a parent missing from the database is not an error: it is recreated, in the same
    /// transaction, as an empty committed snapshot without a parent labelled <see cref="PlaceholderLabels"/>,
    /// and the callback is told its key once that is committed (nydus-snapshotter #700).
    /// </remarks>
    public async Task<SnapshotRecord> CreateAsync(
        SnapshotKind kind, string key, string? parent, IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken,
        Action<string>? recoverMissingParent = null)
    {
        if (string.IsNullOrEmpty(key))
        {
            throw SnapshotException.InvalidArgument("snapshot key must not be empty");
        }
        if (kind is not (SnapshotKind.Active or SnapshotKind.View or SnapshotKind.Committed))
        {
            throw SnapshotException.InvalidArgument($"snapshot kind {kind} cannot be created");
        }
        parent = string.IsNullOrEmpty(parent) ? null : parent;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var transaction = (SqliteTransaction)await _connection
                .BeginTransactionAsync(IsolationLevel.Serializable, cancellationToken).ConfigureAwait(false);
            if (await SnapshotTable.FindAsync(_connection, transaction, key, cancellationToken).ConfigureAwait(false) is not null)
            {
                throw SnapshotException.AlreadyExists($"snapshot {key} already exists");
            }
            var now = _time.GetUtcNow();
            long? placeholderId = null;
            if (parent is not null)
            {
                var parentRecord = await SnapshotTable.FindAsync(_connection, transaction, parent, cancellationToken).ConfigureAwait(false);
                if (parentRecord is null && recoverMissingParent is not null)
                {
                    placeholderId = await InsertAsync(transaction, SnapshotKind.Committed, parent, null, PlaceholderLabels(now), now, cancellationToken).ConfigureAwait(false);
                }
                else if (parentRecord is null)
                {
                    throw SnapshotException.NotFound($"parent snapshot {parent} does not exist");
                }
                else if (parentRecord.Kind != SnapshotKind.Committed)
                {
                    throw SnapshotException.InvalidArgument($"parent {parent} is not a committed snapshot");
                }
            }
            var id = await InsertAsync(transaction, kind, key, parent, labels, now, cancellationToken).ConfigureAwait(false);
            try
            {
                if (placeholderId is { } placeholder)
                {
                    _directories.Create(placeholder);
                }
                _directories.Create(id);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                _directories.Delete(id);
                if (placeholderId is { } placeholder)
                {
                    _directories.Delete(placeholder);
                }
                throw;
            }
            if (placeholderId is not null)
            {
                recoverMissingParent!(parent!);
            }
            return new SnapshotRecord(id, key, parent, kind, labels, now, now, SnapshotUsage.Zero);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// The labels of a recovered parent: GuestPull's recovery marks, plus the proxy mark, since the
    /// placeholder holds nothing and whatever runs on it can only be pulled in the guest.
    /// </summary>
    public static IReadOnlyDictionary<string, string> PlaceholderLabels(DateTimeOffset now) => new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [RecoveredLabel] = "true",
        [RecoveredAtLabel] = now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
        [Mounts.SnapshotLabels.ProxyMode] = "true",
    };

    /// <summary>Marks a committed snapshot recreated empty because a child named it and the database had lost it.</summary>
    public const string RecoveredLabel = "guestpull.recovered";

    /// <summary>When the placeholder was made (unix seconds).</summary>
    public const string RecoveredAtLabel = "guestpull.recovered.at";

    private async Task<long> InsertAsync(
        SqliteTransaction transaction, SnapshotKind kind, string key, string? parent, IReadOnlyDictionary<string, string> labels, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        await using var insert = _connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText =
            "INSERT INTO snapshots (key, parent, kind, labels, created, updated, size, inodes) " +
            "VALUES ($key, $parent, $kind, $labels, $now, $now, 0, 0) RETURNING id";
        insert.Parameters.AddWithValue("$key", key);
        insert.Parameters.AddWithValue("$parent", (object?)parent ?? DBNull.Value);
        insert.Parameters.AddWithValue("$kind", (int)kind);
        insert.Parameters.AddWithValue("$labels", LabelsCodec.Encode(labels));
        insert.Parameters.AddWithValue("$now", now.UtcTicks);
        return Convert.ToInt64(await insert.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
    }

    /// <summary>Turns active <paramref name="key"/> into committed <paramref name="name"/>; labels are replaced, not inherited.</summary>
    public async Task<SnapshotRecord> CommitAsync(
        string name, string key, IReadOnlyDictionary<string, string> labels, SnapshotUsage usage, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(name))
        {
            throw SnapshotException.InvalidArgument("committed snapshot name must not be empty");
        }
        if (string.IsNullOrEmpty(key))
        {
            throw SnapshotException.InvalidArgument("snapshot key must not be empty");
        }
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var transaction = (SqliteTransaction)await _connection
                .BeginTransactionAsync(IsolationLevel.Serializable, cancellationToken).ConfigureAwait(false);
            if (await SnapshotTable.FindAsync(_connection, transaction, name, cancellationToken).ConfigureAwait(false) is not null)
            {
                throw SnapshotException.AlreadyExists($"committed snapshot {name} already exists");
            }
            var active = await SnapshotTable.FindAsync(_connection, transaction, key, cancellationToken).ConfigureAwait(false)
                ?? throw SnapshotException.NotFound($"active snapshot {key} does not exist");
            if (active.Kind != SnapshotKind.Active)
            {
                throw SnapshotException.FailedPrecondition($"snapshot {key} is not active (it is a {active.Kind.ToString().ToLowerInvariant()} snapshot)");
            }
            var now = _time.GetUtcNow();
            await using var update = _connection.CreateCommand();
            update.Transaction = transaction;
            update.CommandText =
                "UPDATE snapshots SET key = $name, kind = $kind, labels = $labels, created = $now, updated = $now, " +
                "size = $size, inodes = $inodes WHERE id = $id";
            update.Parameters.AddWithValue("$name", name);
            update.Parameters.AddWithValue("$kind", (int)SnapshotKind.Committed);
            update.Parameters.AddWithValue("$labels", LabelsCodec.Encode(labels));
            update.Parameters.AddWithValue("$now", now.UtcTicks);
            update.Parameters.AddWithValue("$size", usage.Size);
            update.Parameters.AddWithValue("$inodes", usage.Inodes);
            update.Parameters.AddWithValue("$id", active.Id);
            await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return active with { Key = name, Kind = SnapshotKind.Committed, Labels = labels, Created = now, Updated = now, Usage = usage };
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Deletes the row, then the directories. A snapshot with children can't be removed.</summary>
    public async Task<SnapshotRecord> RemoveAsync(string key, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(key))
        {
            throw SnapshotException.InvalidArgument("snapshot key must not be empty");
        }
        SnapshotRecord record;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var transaction = (SqliteTransaction)await _connection
                .BeginTransactionAsync(IsolationLevel.Serializable, cancellationToken).ConfigureAwait(false);
            record = await SnapshotTable.FindAsync(_connection, transaction, key, cancellationToken).ConfigureAwait(false)
                ?? throw SnapshotException.NotFound($"snapshot {key} does not exist");
            await using (var children = _connection.CreateCommand())
            {
                children.Transaction = transaction;
                children.CommandText = "SELECT count(*) FROM snapshots WHERE parent = $key";
                children.Parameters.AddWithValue("$key", key);
                var count = Convert.ToInt64(await children.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
                if (count > 0)
                {
                    throw SnapshotException.FailedPrecondition($"cannot remove snapshot {key}: it has {count} child snapshot(s)");
                }
            }
            await using (var delete = _connection.CreateCommand())
            {
                delete.Transaction = transaction;
                delete.CommandText = "DELETE FROM snapshots WHERE id = $id";
                delete.Parameters.AddWithValue("$id", record.Id);
                await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
        // Outside the gate: the id is committed in sqlite_sequence and can never be handed out again.
        _directories.Delete(record.Id);
        return record;
    }

    /// <summary>Replaces the whole label set of a snapshot.</summary>
    public async Task<SnapshotRecord> UpdateLabelsAsync(
        string key, Func<SnapshotRecord, IReadOnlyDictionary<string, string>> update, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var transaction = (SqliteTransaction)await _connection
                .BeginTransactionAsync(IsolationLevel.Serializable, cancellationToken).ConfigureAwait(false);
            var record = await SnapshotTable.FindAsync(_connection, transaction, key, cancellationToken).ConfigureAwait(false)
                ?? throw SnapshotException.NotFound($"snapshot {key} does not exist");
            var labels = update(record);
            var now = _time.GetUtcNow();
            await using var command = _connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "UPDATE snapshots SET labels = $labels, updated = $now WHERE id = $id";
            command.Parameters.AddWithValue("$labels", LabelsCodec.Encode(labels));
            command.Parameters.AddWithValue("$now", now.UtcTicks);
            command.Parameters.AddWithValue("$id", record.Id);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return record with { Labels = labels, Updated = now };
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Removes every entry of `snapshots/` that no row owns (left by a crash, or by a Remove whose
    /// directory deletion failed). Returns how many were removed.
    /// </summary>
    public async Task<int> RemoveOrphanDirectoriesAsync(CancellationToken cancellationToken)
    {
        List<string> trash;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var owned = new HashSet<string>(StringComparer.Ordinal);
            await using (var command = _connection.CreateCommand())
            {
                command.CommandText = "SELECT id FROM snapshots";
                await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    owned.Add(reader.GetInt64(0).ToString(CultureInfo.InvariantCulture));
                }
            }
            trash = _directories.MoveOrphansToTrash(owned);
        }
        finally
        {
            _gate.Release();
        }
        foreach (var path in trash)
        {
            SnapshotDirectories.Delete(path);
        }
        return trash.Count;
    }

    public async ValueTask DisposeAsync()
    {
        await using (var pooled = new SqliteConnection(_readConnectionString))
        {
            SqliteConnection.ClearPool(pooled);
        }
        await _connection.DisposeAsync().ConfigureAwait(false);
        _gate.Dispose();
    }

    private async Task<SqliteConnection> OpenReaderAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_readConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
