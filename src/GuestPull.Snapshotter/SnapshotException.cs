namespace GuestPull.Snapshotter;

/// <summary>A request the snapshotter refuses, with the class of error containerd should see.</summary>
internal sealed class SnapshotException : Exception
{
    public SnapshotException(SnapshotErrorCode code, string message)
        : base(message)
    {
        Code = code;
    }

    public SnapshotErrorCode Code { get; }

    public static SnapshotException NotFound(string what) => new(SnapshotErrorCode.NotFound, what);

    public static SnapshotException InvalidArgument(string what) => new(SnapshotErrorCode.InvalidArgument, what);

    public static SnapshotException AlreadyExists(string what) => new(SnapshotErrorCode.AlreadyExists, what);

    public static SnapshotException FailedPrecondition(string what) => new(SnapshotErrorCode.FailedPrecondition, what);
}
