namespace GuestPull.Install.Containerd;

/// <summary>What GuestPull needs in containerd's config.</summary>
internal sealed record ContainerdConfigRequest
{
    public const string DefaultSnapshotterName = "guestpull";
    public const string DefaultRuntimeHandler = "guestpull";
    public const string DefaultRuntimeType = "io.containerd.guestpull.v2";

    /// <summary>The snapshotter's unix socket, for <c>[proxy_plugins.NAME] address</c>.</summary>
    public required string SnapshotterAddress { get; init; }

    /// <summary>Per-runtime snapshotter (containerd 1.7+) instead of the global one.</summary>
    public bool RuntimeSpecific { get; init; }

    /// <summary>The handlers that get <c>snapshotter = NAME</c> in runtime-specific mode; null: GuestPull's own plus every Kata runtime declared.</summary>
    public IReadOnlyList<string>? RuntimeHandlers { get; init; }

    public string SnapshotterName { get; init; } = DefaultSnapshotterName;

    public string RuntimeHandler { get; init; } = DefaultRuntimeHandler;

    public string RuntimeType { get; init; } = DefaultRuntimeType;
}
