namespace GuestPull.Bench.Snapshotter.Pull;

/// Which snapshotter containerd's CRI plugin unpacks the image into.
internal enum PullContender
{
    /// guestpull's snapshotter (proxy driver) as `[proxy_plugins.guestpull]`, the CRI global snapshotter.
    GuestPullProxy,

    /// containerd's built-in overlayfs snapshotter.
    ContainerdOverlayfs,
}
