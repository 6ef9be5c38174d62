using GuestPull.Configuration;

namespace GuestPull.Agent.ConfidentialDataHub;

/// <summary>
/// Reads confidential-data-hub's cdh.toml: <c>socket</c>, and the <c>[image]</c> section under image-rs's
/// key names. The sections for secrets and key brokers (<c>[kbc]</c>, <c>[[credentials]]</c>, …) are
/// accepted, since initdata carries them for the real CDH, and reported as not served. Without
/// <c>[image]</c> the image settings come from the kernel command line, as image-rs does.
/// </summary>
internal static class CdhConfigParser
{
    private const string ImageSection = "image";

    /// <summary>Reads <paramref name="path"/>; null reads as an empty file.</summary>
    /// <param name="path">cdh.toml, or null.</param>
    /// <param name="kernelCommandLine">The kernel command line file consulted when <c>[image]</c> is absent.</param>
    /// <param name="cancellationToken">Stops the read.</param>
    /// <exception cref="AgentConfigurationException">The file is unreadable or a value is wrong; the message names the key.</exception>
    public static async Task<CdhSettings> LoadAsync(string? path, string kernelCommandLine, CancellationToken cancellationToken)
    {
        try
        {
            var file = path is null
                ? TomlConfigReader.Parse(string.Empty, "(no cdh.toml)")
                : await TomlConfigReader.ReadAsync(path, cancellationToken, rejectRedefinitions: true).ConfigureAwait(false);
            var settings = Read(file);
            if (!file.ContainsKey(ImageSection))
            {
                settings = settings with { Image = await KernelCommandLine.ReadAsync(kernelCommandLine, cancellationToken).ConfigureAwait(false) };
            }

            return settings;
        }
        catch (ConfigFileException ex)
        {
            throw new AgentConfigurationException(ex.Message, ex);
        }
    }

    /// <summary>Parses cdh.toml text; without <c>[image]</c> the image settings are image-rs's defaults.</summary>
    /// <exception cref="AgentConfigurationException">A value is wrong; the message names the key.</exception>
    public static CdhSettings Parse(string text, string source)
    {
        try
        {
            return Read(TomlConfigReader.Parse(text, source, rejectRedefinitions: true));
        }
        catch (ConfigFileException ex)
        {
            throw new AgentConfigurationException(ex.Message, ex);
        }
    }

    private static CdhSettings Read(TomlSection file)
    {
        var settings = new CdhSettings();
        var warnings = new List<string>();
        foreach (var key in file.Keys)
        {
            switch (key)
            {
                case "socket":
                    settings = settings with { Socket = Socket(file, key) };
                    break;
                case ImageSection:
                    settings = settings with { Image = ReadImage(file.GetTable(key), warnings) };
                    break;
                default:
                    warnings.Add($"{file.File}: {file.NameOf(key)}: accepted, not served (GuestPull's confidential-data-hub serves image pull only)");
                    break;
            }
        }

        return settings with { Warnings = warnings };
    }

    private static string Socket(TomlSection file, string key)
    {
        var socket = file.GetNonEmptyString(key);
        return socket.StartsWith("unix:///", StringComparison.Ordinal) && socket.Length > "unix:///".Length
            ? socket
            : throw file.Invalid(key, "a unix:///PATH address (kata-agent connects over a unix socket)");
    }

    private static CdhImageSettings ReadImage(TomlSection image, List<string> warnings)
    {
        var settings = new CdhImageSettings { Source = image.File + " [image]" };
        var unserved = new List<string>();
        foreach (var key in image.Keys)
        {
            settings = key switch
            {
                "work_dir" => settings with { WorkDir = image.GetAbsolutePath(key) },
                "max_concurrent_layer_downloads_per_image" => settings with { MaxConcurrentLayerDownloads = (int)image.GetInteger(key, 1, 64) },
                "image_security_policy_uri" => settings with { PolicyFile = FileUri(image, key, unserved) },
                "image_security_policy" => settings with { PolicyText = image.GetNonEmptyString(key) },
                "sigstore_config_uri" => settings with { SigstoreConfigFile = FileUri(image, key, unserved) },
                "authenticated_registry_credentials_uri" => settings with { CredentialsFile = FileUri(image, key, unserved) },
                "registry_configuration_uri" => settings with { RegistriesFile = FileUri(image, key, unserved) },
                "registry_config" => settings with { RegistriesText = image.GetTable(key).ToText() },
                "image_pull_proxy" => ReadProxy(settings, image.GetTable(key), warnings),
                "extra_root_certificates" => settings with { ExtraRootCertificates = Certificates(image, key) },
                "anonymous_fallback_on_unauthorized" when !image.GetBoolean(key) => settings,
                _ => NotServed(settings, image, key, warnings),
            };
        }

        return settings with { Unserved = unserved };
    }

    private static CdhImageSettings NotServed(CdhImageSettings settings, TomlSection image, string key, List<string> warnings)
    {
        warnings.Add($"{image.File}: {image.NameOf(key)}: not served by GuestPull's image service, ignored");
        return settings;
    }

    // A kbs:/// resource needs attestation and a key broker, which this service does not have. The
    // pulls it governs are refused (Unimplemented) instead of quietly running without it.
    private static string? FileUri(TomlSection image, string key, List<string> unserved)
    {
        var uri = image.GetNonEmptyString(key);
        if (ResourceUri.IsKbs(uri))
        {
            unserved.Add($"{image.NameOf(key)} = \"{uri}\" (kbs:// resources need a key broker client, which GuestPull's confidential-data-hub does not have)");
            return null;
        }

        return ResourceUri.TryFilePath(uri, out var problem) ?? throw image.Problem(key, problem);
    }

    private static CdhImageSettings ReadProxy(CdhImageSettings settings, TomlSection proxy, List<string> warnings)
    {
        foreach (var key in proxy.Keys)
        {
            settings = key switch
            {
                "https_proxy" => settings with { HttpsProxy = proxy.GetNonEmptyString(key) },
                "http_proxy" => settings with { HttpProxy = proxy.GetNonEmptyString(key) },
                "no_proxy" => settings with { NoProxy = proxy.GetString(key) },
                _ => NotServed(settings, proxy, key, warnings),
            };
        }

        return settings;
    }

    private static List<string> Certificates(TomlSection image, string key)
    {
        var certificates = image.GetStringArray(key).ToList();
        return certificates.All(c => c.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal))
            ? certificates
            : throw image.Invalid(key, "an array of PEM certificates (\"-----BEGIN CERTIFICATE-----…\")");
    }
}
