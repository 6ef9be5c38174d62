namespace GuestPull.Snapshotter;

/// <summary>How the snapshotter treats image layers.</summary>
public enum SnapshotterDriver
{
    /// <summary>
    /// Guest pull: layer Prepares from CRI pulls are committed empty at once so containerd fetches no
    /// layer blob, and containers on such images get Kata's `image_guest_pull` volume.
    /// </summary>
    Proxy,

    /// <summary>Ordinary overlayfs snapshots, as containerd's built-in overlayfs snapshotter makes them.</summary>
    Overlayfs,
}
