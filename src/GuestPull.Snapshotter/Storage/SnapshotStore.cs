using System.Data;
using System.Globalization;
using GuestPull.Linux;
using Microsoft.Data.Sqlite;

namespace GuestPull.Snapshotter.Storage;

/// <summary>
/// Snapshot metadata in SQLite (WAL), one transaction per operation. Directories are created before
/// the row that owns them commits and removed after that row is deleted, so after a crash at any
/// point the only leftovers are directories no row owns, which <see cref="RemoveOrphanDirectoriesAsync"/>
/// (run at open and by Cleanup) deletes. Ids come from AUTOINCREMENT, so a committed id is never reused.
/// </summary>
internal sealed class SnapshotStore : IAsyncDisposable
{
    private const string Columns = "id, key, parent, kind, labels, created, updated, size, inodes";

    // Writes go through one connection, one at a time: SQLite serialises writers anyway. Reads
    // (Stat, Mounts, List: the calls CRI makes every few seconds) use pooled read-only connections
    // and never wait for a writer's fsync, which WAL allows.
    private readonly SqliteConnection _connection;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly string _readConnectionString;
    private readonly TimeProvider _time;

    private SnapshotStore(SnapshotLayout layout, SqliteConnection connection, TimeProvider time)
    {
        Layout = layout;
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
            await ExecuteAsync(connection, null, SchemaSql, cancellationToken).ConfigureAwait(false);
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
        var rows = await ReadAllAsync(command, cancellationToken).ConfigureAwait(false);
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
        var chain = await ReadAllAsync(command, cancellationToken).ConfigureAwait(false);
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
        return await ReadAllAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Creates an active or view snapshot (or, for the proxy driver, a committed one) with its directories.</summary>
    public async Task<SnapshotRecord> CreateAsync(
        SnapshotKind kind, string key, string? parent, IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken)
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
            if (await FindCoreAsync(transaction, key, cancellationToken).ConfigureAwait(false) is not null)
            {
                throw SnapshotException.AlreadyExists($"snapshot {key} already exists");
            }
            if (parent is not null)
            {
                var parentRecord = await FindCoreAsync(transaction, parent, cancellationToken).ConfigureAwait(false)
                    ?? throw SnapshotException.NotFound($"parent snapshot {parent} does not exist");
                if (parentRecord.Kind != SnapshotKind.Committed)
                {
                    throw SnapshotException.InvalidArgument($"parent {parent} is not a committed snapshot");
                }
            }
            var now = _time.GetUtcNow();
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
            var id = Convert.ToInt64(await insert.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
            try
            {
                CreateDirectories(id);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                DeleteDirectory(Layout.SnapshotDirectory(id));
                throw;
            }
            return new SnapshotRecord(id, key, parent, kind, labels, now, now, SnapshotUsage.Zero);
        }
        finally
        {
            _gate.Release();
        }
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
            if (await FindCoreAsync(transaction, name, cancellationToken).ConfigureAwait(false) is not null)
            {
                throw SnapshotException.AlreadyExists($"committed snapshot {name} already exists");
            }
            var active = await FindCoreAsync(transaction, key, cancellationToken).ConfigureAwait(false)
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
            record = await FindCoreAsync(transaction, key, cancellationToken).ConfigureAwait(false)
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
        DeleteDirectory(Layout.SnapshotDirectory(record.Id));
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
            var record = await FindCoreAsync(transaction, key, cancellationToken).ConfigureAwait(false)
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
        var trash = new List<string>();
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
            foreach (var entry in Directory.EnumerateFileSystemEntries(Layout.SnapshotsDirectory))
            {
                var name = Path.GetFileName(entry);
                if (owned.Contains(name))
                {
                    continue;
                }
                if (name.StartsWith(TrashPrefix, StringComparison.Ordinal))
                {
                    trash.Add(entry);
                    continue;
                }
                // Renamed while holding the gate: a rolled-back id may be handed out again at once,
                // and its new directory must not be deleted by this sweep.
                var target = Path.Combine(Layout.SnapshotsDirectory, TrashPrefix + Guid.NewGuid().ToString("N"));
                Directory.Move(entry, target);
                trash.Add(target);
            }
        }
        finally
        {
            _gate.Release();
        }
        foreach (var path in trash)
        {
            DeleteDirectory(path);
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

    private const string TrashPrefix = ".trash-";

    private const string SchemaSql = """
        PRAGMA journal_mode = WAL;
        -- FULL: a Remove's row deletion must be on disk before its directory goes, or a power cut
        -- could bring back a row whose directory is gone. WAL keeps reads free of fsyncs.
        PRAGMA synchronous = FULL;
        PRAGMA foreign_keys = OFF;
        CREATE TABLE IF NOT EXISTS snapshots (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            key TEXT NOT NULL UNIQUE,
            parent TEXT NULL,
            kind INTEGER NOT NULL,
            labels TEXT NOT NULL,
            created INTEGER NOT NULL,
            updated INTEGER NOT NULL,
            size INTEGER NOT NULL,
            inodes INTEGER NOT NULL
        );
        CREATE INDEX IF NOT EXISTS snapshots_parent ON snapshots (parent);
        """;

    private void CreateDirectories(long id)
    {
        var directory = Layout.SnapshotDirectory(id);
        // Left by a transaction that never committed (the id was rolled back and is ours now).
        DeleteDirectory(directory);
        UnixModes.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var fs = Layout.FsDirectory(id);
        Directory.CreateDirectory(fs);
        UnixModes.Set(fs, (UnixFileMode)0b111_101_101);
        var work = Layout.WorkDirectory(id);
        Directory.CreateDirectory(work);
        UnixModes.Set(work, (UnixFileMode)0b111_001_001);
    }

    // Also removes a stray file in snapshots/ (never created by us, but repair must not trip over
    // it); a path already gone is fine.
    private static void DeleteDirectory(string path) => TreeRemover.Delete(path);

    private async Task<SnapshotRecord?> FindCoreAsync(SqliteTransaction? transaction, string key, CancellationToken cancellationToken)
    {
        await using var command = _connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT {Columns} FROM snapshots WHERE key = $key";
        command.Parameters.AddWithValue("$key", key);
        var rows = await ReadAllAsync(command, cancellationToken).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    private static async Task<List<SnapshotRecord>> ReadAllAsync(SqliteCommand command, CancellationToken cancellationToken)
    {
        var rows = new List<SnapshotRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(new SnapshotRecord(
                reader.GetInt64(0),
                reader.GetString(1),
                await reader.IsDBNullAsync(2, cancellationToken).ConfigureAwait(false) ? null : reader.GetString(2),
                (SnapshotKind)reader.GetInt32(3),
                LabelsCodec.Decode(reader.GetString(4)),
                new DateTimeOffset(reader.GetInt64(5), TimeSpan.Zero),
                new DateTimeOffset(reader.GetInt64(6), TimeSpan.Zero),
                new SnapshotUsage(reader.GetInt64(7), reader.GetInt64(8))));
        }
        return rows;
    }

    private static async Task ExecuteAsync(SqliteConnection connection, SqliteTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
