namespace GuestPull.Oci.Model;

/// <summary>An OCI image manifest or Docker schema 2 manifest.</summary>
/// <param name="MediaType">The manifest's media type.</param>
/// <param name="Config">The config descriptor.</param>
/// <param name="Layers">The layers, base first.</param>
public sealed record ImageManifest(string MediaType, Descriptor Config, IReadOnlyList<Descriptor> Layers)
{
    /// <summary>Annotations of the manifest.</summary>
    public IReadOnlyDictionary<string, string> Annotations { get; init; } = new Dictionary<string, string>();

    /// <summary>The subject (for referrers), if any.</summary>
    public Descriptor? Subject { get; init; }

    /// <summary>The artifact type, if the manifest describes an artifact rather than an image.</summary>
    public string? ArtifactType { get; init; }
}
