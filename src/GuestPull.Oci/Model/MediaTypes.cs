namespace GuestPull.Oci.Model;

/// <summary>Media types of the OCI image spec and Docker's image formats.</summary>
public static class MediaTypes
{
    /// <summary>OCI image index.</summary>
    public const string OciIndex = "application/vnd.oci.image.index.v1+json";

    /// <summary>OCI image manifest.</summary>
    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";

    /// <summary>OCI image config.</summary>
    public const string OciConfig = "application/vnd.oci.image.config.v1+json";

    /// <summary>OCI uncompressed layer.</summary>
    public const string OciLayerTar = "application/vnd.oci.image.layer.v1.tar";

    /// <summary>OCI gzip layer.</summary>
    public const string OciLayerTarGzip = "application/vnd.oci.image.layer.v1.tar+gzip";

    /// <summary>OCI zstd layer.</summary>
    public const string OciLayerTarZstd = "application/vnd.oci.image.layer.v1.tar+zstd";

    /// <summary>OCI non-distributable uncompressed layer (deprecated but still served).</summary>
    public const string OciLayerNondistributableTar = "application/vnd.oci.image.layer.nondistributable.v1.tar";

    /// <summary>OCI non-distributable gzip layer.</summary>
    public const string OciLayerNondistributableTarGzip = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";

    /// <summary>OCI non-distributable zstd layer.</summary>
    public const string OciLayerNondistributableTarZstd = "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd";

    /// <summary>Docker manifest list.</summary>
    public const string DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";

    /// <summary>Docker image manifest, schema 2.</summary>
    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";

    /// <summary>Docker schema 1 manifest (refused).</summary>
    public const string DockerManifestSchema1 = "application/vnd.docker.distribution.manifest.v1+json";

    /// <summary>Docker signed schema 1 manifest (refused).</summary>
    public const string DockerManifestSchema1Signed = "application/vnd.docker.distribution.manifest.v1+prettyjws";

    /// <summary>Docker image config.</summary>
    public const string DockerConfig = "application/vnd.docker.container.image.v1+json";

    /// <summary>Docker gzip layer.</summary>
    public const string DockerLayerTarGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";

    /// <summary>Docker foreign (non-distributable) gzip layer.</summary>
    public const string DockerForeignLayerTarGzip = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";

    /// <summary>The Accept list sent for manifests: every type GuestPull can read.</summary>
    public static readonly IReadOnlyList<string> ManifestAccept =
    [
        OciIndex,
        OciManifest,
        DockerManifestList,
        DockerManifest,
    ];

    /// <summary>Whether the type names an index (OCI index or Docker manifest list).</summary>
    public static bool IsIndex(string? mediaType) => mediaType is OciIndex or DockerManifestList;

    /// <summary>Whether the type names a single-image manifest.</summary>
    public static bool IsManifest(string? mediaType) => mediaType is OciManifest or DockerManifest;

    /// <summary>Whether the type names a schema 1 manifest.</summary>
    public static bool IsSchema1(string? mediaType) =>
        mediaType is DockerManifestSchema1 or DockerManifestSchema1Signed || (mediaType?.StartsWith("application/vnd.docker.distribution.manifest.v1", StringComparison.Ordinal) ?? false);

    /// <summary>Whether the type names an image config.</summary>
    public static bool IsImageConfig(string? mediaType) => mediaType is OciConfig or DockerConfig;

    /// <summary>The compression of a layer media type, or null when it is not a layer type.</summary>
    public static LayerCompression? GetLayerCompression(string? mediaType) => mediaType switch
    {
        OciLayerTar or OciLayerNondistributableTar => LayerCompression.None,
        OciLayerTarGzip or OciLayerNondistributableTarGzip or DockerLayerTarGzip or DockerForeignLayerTarGzip => LayerCompression.Gzip,
        OciLayerTarZstd or OciLayerNondistributableTarZstd => LayerCompression.Zstd,
        _ => null,
    };

    /// <summary>Strips parameters (<c>; charset=…</c>) and white space from a Content-Type value.</summary>
    public static string? Normalize(string? contentType)
    {
        if (contentType is null)
        {
            return null;
        }

        var semicolon = contentType.IndexOf(';', StringComparison.Ordinal);
        return (semicolon >= 0 ? contentType[..semicolon] : contentType).Trim().ToLowerInvariant();
    }
}
