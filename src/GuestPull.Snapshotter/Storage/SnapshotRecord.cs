namespace GuestPull.Snapshotter.Storage;

/// <summary>One row of the metadata store.</summary>
/// <param name="Id">Stable numeric id; names the snapshot's directory and is never reused.</param>
/// <param name="Key">The snapshot's key (active, view) or name (committed).</param>
/// <param name="Parent">The committed parent's name, or null for a base snapshot.</param>
/// <param name="Kind">View, active or committed.</param>
/// <param name="Labels">The snapshot's labels (no empty values).</param>
/// <param name="Created">When it was created (for a committed snapshot: committed).</param>
/// <param name="Updated">When its labels last changed.</param>
/// <param name="Usage">Disk use measured at commit; zero for active and view snapshots.</param>
internal sealed record SnapshotRecord(
    long Id,
    string Key,
    string? Parent,
    SnapshotKind Kind,
    IReadOnlyDictionary<string, string> Labels,
    DateTimeOffset Created,
    DateTimeOffset Updated,
    SnapshotUsage Usage);
