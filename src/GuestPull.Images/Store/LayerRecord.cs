using GuestPull.Oci.Model;

namespace GuestPull.Images.Store;

/// <summary>One unpacked layer in the <see cref="LayerStore"/>.</summary>
public sealed record LayerRecord
{
    /// <summary>The digest of the uncompressed layer tar; the layer's key.</summary>
    public required Digest DiffId { get; init; }

    /// <summary>The digest of the blob as the registry served it, when known.</summary>
    public Digest? CompressedDigest { get; init; }

    /// <summary>The blob's media type.</summary>
    public required string MediaType { get; init; }

    /// <summary>The size of the uncompressed tar in bytes.</summary>
    public long UnpackedSize { get; init; }

    /// <summary>When the layer was committed.</summary>
    public DateTimeOffset Created { get; init; }

    /// <summary>When an image using the layer was last recorded.</summary>
    public DateTimeOffset LastUsed { get; init; }
}
