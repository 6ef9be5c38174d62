namespace GuestPull.Testing;

/// Settings for <see cref="ImageBuilder.PushAsync(string, string, RegistryEndpoint, string, PushOptions?, CancellationToken)"/>.
public sealed class PushOptions
{
    /// Null keeps the source's manifest type (OCI for umoci layouts).
    public ManifestFormat? Format { get; init; }

    /// Zstd re-compresses layers (OCI format only). skopeo reuses a blob it already pushed to the same
    /// registry in its other compression, so push a zstd variant to a registry (or at least a layer) that
    /// has not seen the gzip one.
    public LayerCompression Compression { get; init; } = LayerCompression.Gzip;

    /// Push an index and every image it lists (skopeo copy --all).
    public bool All { get; init; }

    /// Keep manifest and index digests byte for byte (skopeo --preserve-digests).
    public bool PreserveDigests { get; init; }

    /// Null uses the registry's <see cref="RegistryEndpoint.DefaultCredentials"/> unless <see cref="Anonymous"/>.
    public RegistryCredentials? Credentials { get; init; }

    public bool Anonymous { get; init; }

    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(3);
}
