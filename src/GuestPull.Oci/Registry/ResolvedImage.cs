using GuestPull.Oci.Model;

namespace GuestPull.Oci.Registry;

/// <summary>An image resolved for one platform: its manifest (and the index it was picked from), and its verified config.</summary>
public sealed record ResolvedImage
{
    /// <summary>The reference as asked for.</summary>
    public required ImageReference Reference { get; init; }

    /// <summary>The index the platform manifest was picked from, when the reference named an index.</summary>
    public ManifestDocument? Index { get; init; }

    /// <summary>The image manifest document (bytes as served).</summary>
    public required ManifestDocument ManifestDocument { get; init; }

    /// <summary>The parsed image manifest.</summary>
    public ImageManifest Manifest => ManifestDocument.Manifest!;

    /// <summary>The config blob exactly as served (its digest verified).</summary>
    public required ReadOnlyMemory<byte> ConfigBytes { get; init; }

    /// <summary>The parsed config.</summary>
    public required ImageConfig Config { get; init; }

    /// <summary>The registry host (<c>host[:port]</c>) that served the manifest: the registry itself or a mirror.</summary>
    public required string ServedBy { get; init; }

    /// <summary>The digest of the top-level document the reference resolved to (the index's when there is one).</summary>
    public Digest TopDigest => (Index ?? ManifestDocument).Digest;

    /// <summary>The layers with their DiffIDs, base first.</summary>
    public IEnumerable<(Descriptor Layer, Digest DiffId)> LayersWithDiffIds => Manifest.Layers.Zip(Config.DiffIds);
}
