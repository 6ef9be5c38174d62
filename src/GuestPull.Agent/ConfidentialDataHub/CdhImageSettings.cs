namespace GuestPull.Agent.ConfidentialDataHub;

/// <summary>
/// The image service's settings under image-rs's names (cdh.toml's <c>[image]</c>, or the kernel command
/// line when that section is absent), with every <c>file://</c> URI already turned into a path.
/// </summary>
internal sealed record CdhImageSettings
{
    /// <summary>image-rs's default work directory: tmpfs in a confidential guest, so encrypted memory.</summary>
    public const string DefaultWorkDir = "/run/kata-containers/image";

    /// <summary>image-rs's default for <c>max_concurrent_layer_downloads_per_image</c>.</summary>
    public const int DefaultMaxConcurrentLayerDownloads = 3;

    /// <summary>Where the settings came from, for the log: <c>cdh.toml [image]</c>, <c>kernel command line</c>, or <c>defaults</c>.</summary>
    public string Source { get; init; } = "defaults";

    /// <summary>The layer store's root (<c>work_dir</c>).</summary>
    public string WorkDir { get; init; } = DefaultWorkDir;

    /// <summary>Layers of one image fetched at once (<c>max_concurrent_layer_downloads_per_image</c>).</summary>
    public int MaxConcurrentLayerDownloads { get; init; } = DefaultMaxConcurrentLayerDownloads;

    /// <summary>containers-policy.json from <c>image_security_policy_uri</c>; null: no policy file.</summary>
    public string? PolicyFile { get; init; }

    /// <summary>containers-policy.json given inline (<c>image_security_policy</c>); the URI wins when both are set.</summary>
    public string? PolicyText { get; init; }

    /// <summary>A containers-registries.d YAML file from <c>sigstore_config_uri</c> (lookaside signature stores).</summary>
    public string? SigstoreConfigFile { get; init; }

    /// <summary>docker config.json from <c>authenticated_registry_credentials_uri</c>.</summary>
    public string? CredentialsFile { get; init; }

    /// <summary>registries.conf (v2) from <c>registry_configuration_uri</c>.</summary>
    public string? RegistriesFile { get; init; }

    /// <summary>registries.conf (v2) given inline as <c>[image.registry_config]</c>, as TOML text; the URI wins when both are set.</summary>
    public string? RegistriesText { get; init; }

    /// <summary><c>image_pull_proxy.https_proxy</c>.</summary>
    public string? HttpsProxy { get; init; }

    /// <summary><c>image_pull_proxy.http_proxy</c>.</summary>
    public string? HttpProxy { get; init; }

    /// <summary><c>image_pull_proxy.no_proxy</c>.</summary>
    public string? NoProxy { get; init; }

    /// <summary>PEM certificates trusted besides the system roots (<c>extra_root_certificates</c>).</summary>
    public IReadOnlyList<string> ExtraRootCertificates { get; init; } = [];

    /// <summary>
    /// Settings that name something this image service cannot fetch (<c>kbs:///</c> resources): every
    /// PullImage answers Unimplemented naming them rather than pulling without them.
    /// </summary>
    public IReadOnlyList<string> Unserved { get; init; } = [];
}
