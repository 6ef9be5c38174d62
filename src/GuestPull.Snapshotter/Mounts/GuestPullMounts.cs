using GuestPull.Api.Kata;
using GuestPull.Snapshotter.Storage;

namespace GuestPull.Snapshotter.Mounts;

/// <summary>
/// The proxy driver's mount for an active snapshot on a guest-pulled image: the mount nydus-snapshotter
/// returns in proxy mode (`fuse.nydus-overlayfs`, which Kata's shim recognises and never mounts on the
/// host), carrying an `image_guest_pull` Kata volume built from the layers' CRI labels.
/// </summary>
internal sealed class GuestPullMounts(SnapshotLayout layout, OverlayMounts overlay)
{
    public const string MountType = "fuse.nydus-overlayfs";

    /// <summary>Used by Kata's Rust runtime check when no image reference is known (nydus's placeholder).</summary>
    public const string DummySource = "dummy-image-reference";

    /// <summary>True when the snapshot is active and sits directly on a layer the proxy driver skipped.</summary>
    public static bool Applies(IReadOnlyList<SnapshotRecord> chain) =>
        chain.Count > 1 && chain[0].Kind == SnapshotKind.Active && IsProxyLayer(chain[1]);

    public static bool IsProxyLayer(SnapshotRecord record) =>
        record.Kind == SnapshotKind.Committed
        && record.Labels.TryGetValue(SnapshotLabels.ProxyMode, out var value)
        && value == "true";

    public IReadOnlyList<MountSpec> For(IReadOnlyList<SnapshotRecord> chain)
    {
        var snapshot = chain[0];
        var options = new List<string>
        {
            "workdir=" + layout.WorkDirectory(snapshot.Id),
            "upperdir=" + layout.FsDirectory(snapshot.Id),
            overlay.LowerDirOption(chain),
            KataVolumeOption.Encode(BuildVolume(chain)),
        };
        return [new MountSpec(MountType, "overlay", options)];
    }

    /// <summary>
    /// The volume: source = the image reference CRI labelled the layers with; metadata = the top
    /// layer's CRI labels, with `cri.image-layers` completed to every proxy layer's digest, base first
    /// (what the base layer's own label says when containerd did not have to cut it to 4096 bytes).
    /// </summary>
    public static KataVirtualVolume BuildVolume(IReadOnlyList<SnapshotRecord> chain)
    {
        var top = chain[1];
        var metadata = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in top.Labels)
        {
            if (key.StartsWith(SnapshotLabels.CriPrefix, StringComparison.Ordinal))
            {
                metadata[key] = value;
            }
        }
        var layers = chain.Skip(1)
            .Where(IsProxyLayer)
            .Select(layer => layer.Labels.GetValueOrDefault(SnapshotLabels.CriLayerDigest))
            .OfType<string>()
            .Reverse()
            .ToList();
        if (layers.Count > 0)
        {
            metadata[SnapshotLabels.CriImageLayers] = string.Join(',', layers);
        }
        var source = top.Labels.GetValueOrDefault(SnapshotLabels.CriImageRef);
        return new KataVirtualVolume
        {
            VolumeType = KataVirtualVolume.ImageGuestPullType,
            Source = string.IsNullOrEmpty(source) ? DummySource : source,
            ImagePull = new ImagePullVolume { Metadata = metadata },
        };
    }
}
