using GuestPull.Oci.Model;

namespace GuestPull.Images.Store;

/// <summary>An image whose layers are all in the <see cref="LayerStore"/>.</summary>
public sealed record ImageRecord
{
    /// <summary>The reference the image was pulled by (the key), e.g. <c>docker.io/library/busybox:1.36</c>.</summary>
    public required string Reference { get; init; }

    /// <summary>The digest of the platform-specific manifest.</summary>
    public required Digest ManifestDigest { get; init; }

    /// <summary>The digest of the index the manifest was chosen from, when there was one.</summary>
    public Digest? IndexDigest { get; init; }

    /// <summary>The digest of the image config.</summary>
    public required Digest ConfigDigest { get; init; }

    /// <summary>The platform, <c>os/arch[/variant]</c>.</summary>
    public required string Platform { get; init; }

    /// <summary>The image config exactly as fetched (JSON).</summary>
    public required string ConfigJson { get; init; }

    /// <summary>The layers' DiffIDs, base first.</summary>
    public required IReadOnlyList<Digest> DiffIds { get; init; }

    /// <summary>When the image was first recorded.</summary>
    public DateTimeOffset Created { get; init; }

    /// <summary>When the image was last recorded (pulled again).</summary>
    public DateTimeOffset LastUsed { get; init; }
}
