namespace GuestPull.Oci.Model;

/// <summary>A parsed manifest or index together with the exact bytes it came from.</summary>
public sealed class ManifestDocument
{
    internal ManifestDocument(string mediaType, ReadOnlyMemory<byte> bytes, Digest digest, ImageIndex? index, ImageManifest? manifest)
    {
        MediaType = mediaType;
        Bytes = bytes;
        Digest = digest;
        Index = index;
        Manifest = manifest;
    }

    /// <summary>The media type the document was identified as.</summary>
    public string MediaType { get; }

    /// <summary>The bytes exactly as served; signatures and digests are over these.</summary>
    public ReadOnlyMemory<byte> Bytes { get; }

    /// <summary>The digest of <see cref="Bytes"/> (sha256 unless the reference asked for another algorithm).</summary>
    public Digest Digest { get; }

    /// <summary>The index, when the document is one.</summary>
    public ImageIndex? Index { get; }

    /// <summary>The image manifest, when the document is one.</summary>
    public ImageManifest? Manifest { get; }

    /// <summary>Whether this is an index or manifest list.</summary>
    public bool IsIndex => Index is not null;
}
