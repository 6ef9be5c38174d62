namespace GuestPull.Snapshotter.Storage;

/// <summary>The state of a snapshot; the numbers are containerd's so they can be stored and sent as is.</summary>
internal enum SnapshotKind
{
    Unknown = 0,
    View = 1,
    Active = 2,
    Committed = 3,
}
