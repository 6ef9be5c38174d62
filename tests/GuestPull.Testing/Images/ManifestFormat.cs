namespace GuestPull.Testing;

/// The manifest type skopeo writes to the registry (its --format).
public enum ManifestFormat
{
    Oci,
    DockerV2S2,
}
