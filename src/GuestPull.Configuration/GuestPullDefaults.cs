namespace GuestPull.Configuration;

/// <summary>
/// Well-known paths and socket addresses that more than one GuestPull component must agree on:
/// the snapshotter serves them, <c>guestpull install</c> writes them into containerd's and the
/// snapshotter's configuration, the shim reads its file from them.
/// </summary>
public static class GuestPullDefaults
{
    /// <summary>The snapshotter's root directory (the snapshots and the metadata database).</summary>
    public const string SnapshotterRoot = "/var/lib/containerd/io.containerd.snapshotter.v1.guestpull";

    /// <summary>The unix socket containerd reaches the snapshotter on.</summary>
    public const string SnapshotterAddress = "/run/containerd-guestpull/containerd-guestpull-grpc.sock";

    /// <summary>Where GuestPull's configuration files live on a node.</summary>
    public const string ConfigDirectory = "/etc/guestpull";

    /// <summary>The shim's configuration file when neither the runtime options nor the environment name one.</summary>
    public const string ShimConfigFile = ConfigDirectory + "/shim.toml";

    /// <summary>Per-pod host directories shared with the sandbox (Kata's <c>/run/kata-containers/shared/sandboxes</c>).</summary>
    public const string SandboxSharedRoot = "/run/guestpull/shared/sandboxes";
}
