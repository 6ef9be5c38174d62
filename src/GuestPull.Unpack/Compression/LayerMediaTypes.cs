namespace GuestPull.Unpack;

/// <summary>The layer media types GuestPull can unpack.</summary>
public static class LayerMediaTypes
{
    /// <summary>OCI uncompressed layer.</summary>
    public const string OciTar = "application/vnd.oci.image.layer.v1.tar";

    /// <summary>OCI gzip layer.</summary>
    public const string OciTarGzip = "application/vnd.oci.image.layer.v1.tar+gzip";

    /// <summary>OCI zstd layer.</summary>
    public const string OciTarZstd = "application/vnd.oci.image.layer.v1.tar+zstd";

    /// <summary>OCI non-distributable uncompressed layer (deprecated but still found).</summary>
    public const string OciNondistributableTar = "application/vnd.oci.image.layer.nondistributable.v1.tar";

    /// <summary>OCI non-distributable gzip layer.</summary>
    public const string OciNondistributableTarGzip = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";

    /// <summary>OCI non-distributable zstd layer.</summary>
    public const string OciNondistributableTarZstd = "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd";

    /// <summary>Docker schema 2 uncompressed layer.</summary>
    public const string DockerTar = "application/vnd.docker.image.rootfs.diff.tar";

    /// <summary>Docker schema 2 gzip layer (the common Docker layer type).</summary>
    public const string DockerTarGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";

    /// <summary>Docker schema 2 zstd layer, as containerd names it.</summary>
    public const string DockerTarZstd = "application/vnd.docker.image.rootfs.diff.tar.zstd";

    /// <summary>Docker foreign (non-distributable) uncompressed layer.</summary>
    public const string DockerForeignTar = "application/vnd.docker.image.rootfs.foreign.diff.tar";

    /// <summary>Docker foreign (non-distributable) gzip layer.</summary>
    public const string DockerForeignTarGzip = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
}
