namespace GuestPull.Snapshotter;

/// <summary>The error classes containerd understands from a snapshotter (its errdefs).</summary>
internal enum SnapshotErrorCode
{
    InvalidArgument,
    NotFound,
    AlreadyExists,
    FailedPrecondition,
    Unimplemented,
}
