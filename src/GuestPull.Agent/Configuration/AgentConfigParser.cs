using System.Net;
using System.Net.Sockets;
using GuestPull.Configuration;

namespace GuestPull.Agent.Configuration;

/// <summary>
/// Reads the agent's TOML file. Every key is top level; unknown keys are warned about, values the
/// agent cannot honour are refused with the key named.
/// </summary>
internal static class AgentConfigParser
{
    public static async Task<AgentSettings> LoadAsync(string? path, CancellationToken cancellationToken)
    {
        if (path is null)
        {
            return new AgentSettings();
        }

        try
        {
            return Read(await TomlConfigReader.ReadAsync(path, cancellationToken).ConfigureAwait(false));
        }
        catch (ConfigFileException ex)
        {
            throw new AgentConfigurationException(ex.Message, ex);
        }
    }

    public static AgentSettings Parse(string text, string source)
    {
        try
        {
            return Read(TomlConfigReader.Parse(text, source));
        }
        catch (ConfigFileException ex)
        {
            throw new AgentConfigurationException(ex.Message, ex);
        }
    }

    private static AgentSettings Read(TomlSection file)
    {
        var settings = new AgentSettings();
        var warnings = new List<string>();
        foreach (var key in file.Keys)
        {
            settings = key switch
            {
                "image_root" => settings with { ImageRoot = file.GetAbsolutePath(key) },
                "bundle_root" => settings with { BundleRoot = file.GetAbsolutePath(key) },
                "registries_conf" => settings with { RegistriesConf = file.GetAbsolutePath(key) },
                "auth_file" => settings with { AuthFile = file.GetAbsolutePath(key) },
                "policy" => settings with { Policy = file.GetAbsolutePath(key) },
                "registries_d" => settings with { RegistriesD = file.GetAbsolutePath(key) },
                "decryption_keys" => settings with { DecryptionKeys = DecryptionKeys(file, key) },
                "ocicrypt_keyprovider_config" => settings with { KeyProviderConfig = file.GetAbsolutePath(key) },
                "insecure_registries" => settings with { InsecureRegistries = HostList(file, key) },
                "pull_concurrency" => settings with { PullConcurrency = (int)file.GetInteger(key, 1, 64) },
                "max_layer_size" => settings with { MaxLayerSize = file.GetInteger(key, 1, long.MaxValue) },
                "pull_timeout_seconds" => settings with { PullTimeout = file.GetSeconds(key, 1, 86_400) },
                "runc_path" => settings with { RuncPath = file.GetNonEmptyString(key) },
                "runc_root" => settings with { RuncRoot = file.GetAbsolutePath(key) },
                "pause_binary" => settings with { PauseBinary = file.GetAbsolutePath(key) },
                "host_rootfs_root" => settings with { HostRootfsRoot = file.GetAbsolutePath(key) },
                "copy_root" => settings with { CopyRoot = file.GetAbsolutePath(key) },
                "loopback_gateway" => settings with { LoopbackGateway = Address(file, key) },
                "node_cache" => settings with { NodeCache = HostPort(file, key) },
                "max_connections" => settings with { MaxConnections = (int)file.GetInteger(key, 1, 65_536) },
                "idle_timeout_seconds" => settings with { IdleTimeout = IdleTimeout(file, key) },
                _ => Warn(settings, warnings, file.UnknownKeyWarning(key)),
            };
        }

        return settings with { Warnings = warnings };
    }

    // 0 means never, as for the other time-outs of the containerd world.
    private static TimeSpan IdleTimeout(TomlSection file, string key) =>
        file.GetInteger(key, 0, 86_400) is var seconds && seconds == 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds(seconds);

    private static AgentSettings Warn(AgentSettings settings, List<string> warnings, string warning)
    {
        warnings.Add(warning);
        return settings;
    }

    // Only the canonical spellings: inet_aton's shorthands ("10.2", octal "010.0.2.2") parse to
    // addresses nobody meant, and a scoped or unspecified address names no gateway.
    private static IPAddress Address(TomlSection file, string key)
    {
        const string Expected = "an IPv4 or IPv6 address, e.g. \"10.0.2.2\"";
        var text = file.GetValue(key) as string ?? throw file.Invalid(key, Expected);
        if (!IPAddress.TryParse(text, out var address)
            || (address.AddressFamily == AddressFamily.InterNetwork && address.ToString() != text)
            || (address.AddressFamily == AddressFamily.InterNetworkV6 && (text.Contains('%', StringComparison.Ordinal) || text.StartsWith('[')))
            || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any))
        {
            throw file.Invalid(key, Expected, text);
        }

        return address;
    }

    private static List<string> DecryptionKeys(TomlSection file, string key)
    {
        const string Expected = "an array of \"/absolute/key.pem[:PASSWORD]\" strings";
        var keys = new List<string>();
        foreach (var entry in file.GetStringArray(key))
        {
            if (!entry.StartsWith('/'))
            {
                throw file.Invalid(key, Expected, entry);
            }

            keys.Add(entry);
        }

        return keys;
    }

    private static string HostPort(TomlSection file, string key)
    {
        var text = file.GetNonEmptyString(key);
        var colon = text.LastIndexOf(':');
        return colon > 0 && int.TryParse(text.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) && port is > 0 and <= 65535
            && !text.Any(c => char.IsWhiteSpace(c) || c == '/')
            ? text
            : throw file.Invalid(key, "\"host:port\" of the node cache, e.g. \"127.0.0.1:5050\"", text);
    }

    private static List<string> HostList(TomlSection file, string key)
    {
        const string Expected = "an array of \"host[:port]\" strings";
        var hosts = new List<string>();
        foreach (var host in file.GetStringArray(key))
        {
            if (host.Length == 0 || host.Any(c => char.IsWhiteSpace(c) || c == '/'))
            {
                throw file.Invalid(key, Expected, host);
            }

            hosts.Add(host);
        }

        return hosts;
    }
}
