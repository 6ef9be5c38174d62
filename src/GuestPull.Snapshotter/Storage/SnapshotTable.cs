using Microsoft.Data.Sqlite;

namespace GuestPull.Snapshotter.Storage;

/// <summary>The <c>snapshots</c> table: its schema, and reading its rows as <see cref="SnapshotRecord"/>s.</summary>
internal static class SnapshotTable
{
    /// <summary>The columns every query selects, in the order <see cref="ReadAllAsync"/> reads them.</summary>
    public const string Columns = "id, key, parent, kind, labels, created, updated, size, inodes";

    public const string SchemaSql = """
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

    /// <summary>The snapshot named <paramref name="key"/> as <paramref name="connection"/> (in <paramref name="transaction"/>) sees it, or null.</summary>
    public static async Task<SnapshotRecord?> FindAsync(SqliteConnection connection, SqliteTransaction? transaction, string key, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT {Columns} FROM snapshots WHERE key = $key";
        command.Parameters.AddWithValue("$key", key);
        var rows = await ReadAllAsync(command, cancellationToken).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    /// <summary>Runs <paramref name="command"/> (selecting <see cref="Columns"/>) and reads every row.</summary>
    public static async Task<List<SnapshotRecord>> ReadAllAsync(SqliteCommand command, CancellationToken cancellationToken)
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

    /// <summary>Runs a statement that returns no rows.</summary>
    public static async Task ExecuteAsync(SqliteConnection connection, SqliteTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
