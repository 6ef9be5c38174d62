namespace GuestPull.Snapshotter.Storage;

/// <summary>Disk use of a snapshot's own layer.</summary>
internal readonly record struct SnapshotUsage(long Size, long Inodes)
{
    public static SnapshotUsage Zero => default;
}
