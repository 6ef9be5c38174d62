namespace GuestPull.Oci.Model;

/// <summary>An OCI content descriptor: what a manifest or index says about a blob it points to.</summary>
/// <param name="MediaType">The blob's media type.</param>
/// <param name="Digest">The blob's validated digest.</param>
/// <param name="Size">The blob's size in bytes.</param>
public sealed record Descriptor(string MediaType, Digest Digest, long Size)
{
    /// <summary>The platform, for entries of an index.</summary>
    public Platform? Platform { get; init; }

    /// <summary>Annotations.</summary>
    public IReadOnlyDictionary<string, string> Annotations { get; init; } = new Dictionary<string, string>();

    /// <summary>Alternative URLs (foreign layers). GuestPull never fetches them: credentials must not leak there.</summary>
    public IReadOnlyList<string> Urls { get; init; } = [];

    /// <summary>The artifact type, when the descriptor names an artifact.</summary>
    public string? ArtifactType { get; init; }
}
