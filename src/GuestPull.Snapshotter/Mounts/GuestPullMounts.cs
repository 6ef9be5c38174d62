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

    /// <summary>
    /// True when the proxy driver must still give the snapshot the guest-pull volume although its chain is
    /// not the proxy's own (nydus-snapshotter's <c>treatAsProxyDriver</c>): an active snapshot on layers the
    /// host unpacked (the overlayfs driver's, a <c>ctr</c> unpack's, a placeholder's) would otherwise become
    /// a rootfs the host wrote. Not forced: a snapshot containerd is unpacking a layer into (its key's last
    /// part starts <c>extract-</c>: containerd writes the layer through these mounts), and a snapshot without
    /// a parent (nothing of an image below it).
    /// </summary>
    public static bool MustForce(IReadOnlyList<SnapshotRecord> chain) =>
        chain.Count > 1 && chain[0].Kind == SnapshotKind.Active && !IsUnpackKey(chain[0].Key);

    /// <summary>containerd's unpack keys: <c>[namespace/sequence/]extract-&lt;unique&gt; &lt;chainID&gt;</c>.</summary>
    public static bool IsUnpackKey(string key)
    {
        var name = key.Split(' ', 2)[0];
        var slash = name.LastIndexOf('/');
        return name[(slash + 1)..].StartsWith("extract-", StringComparison.Ordinal);
    }

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
    /// (what the base layer's own label says when containerd did not have to cut it to 4096 bytes). On a
    /// chain that is not the proxy's own (forced) the labels may be missing: the volume then carries what
    /// there is, at least empty metadata and the dummy source, and the runtime takes the image to pull from
    /// the container's <c>io.kubernetes.cri.image-name</c> annotation (docs/contracts.md, section 5).
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
            .Select(layer => layer.Labels.GetValueOrDefault(SnapshotLabels.CriLayerDigest))
            .OfType<string>()
            .Reverse()
            .ToList();
        if (layers.Count > 0 && layers.Count == chain.Count - 1)
        {
            metadata[SnapshotLabels.CriImageLayers] = string.Join(',', layers);
        }
        else
        {
            // A partial list would name a different image; containerd's own (cut) label is no better.
            metadata.Remove(SnapshotLabels.CriImageLayers);
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
