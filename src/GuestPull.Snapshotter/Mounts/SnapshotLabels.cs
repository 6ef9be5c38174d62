namespace GuestPull.Snapshotter.Mounts;

/// <summary>Label names containerd, CRI and nydus put on snapshots.</summary>
internal static class SnapshotLabels
{
    /// <summary>Set by containerd's unpacker on layer Prepares: the chainID the layer will be committed as.</summary>
    public const string TargetRef = "containerd.io/snapshot.ref";

    public const string CriPrefix = "containerd.io/snapshot/cri.";
    public const string CriImageRef = "containerd.io/snapshot/cri.image-ref";
    public const string CriLayerDigest = "containerd.io/snapshot/cri.layer-digest";
    public const string CriManifestDigest = "containerd.io/snapshot/cri.manifest-digest";
    public const string CriImageLayers = "containerd.io/snapshot/cri.image-layers";

    /// <summary>Marks a layer committed without content because the guest pulls it (nydus's name, kept for drop-in compatibility).</summary>
    public const string ProxyMode = "containerd.io/snapshot/nydus-proxy-mode";
}
