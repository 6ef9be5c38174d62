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
                "insecure_registries" => settings with { InsecureRegistries = HostList(file, key) },
                "pull_concurrency" => settings with { PullConcurrency = (int)file.GetInteger(key, 1, 64) },
                "pull_timeout_seconds" => settings with { PullTimeout = file.GetSeconds(key, 1, 86_400) },
                "runc_path" => settings with { RuncPath = file.GetNonEmptyString(key) },
                "runc_root" => settings with { RuncRoot = file.GetAbsolutePath(key) },
                "pause_binary" => settings with { PauseBinary = file.GetAbsolutePath(key) },
                "host_rootfs_root" => settings with { HostRootfsRoot = file.GetAbsolutePath(key) },
                _ => Warn(settings, warnings, file.UnknownKeyWarning(key)),
            };
        }

        return settings with { Warnings = warnings };
    }

    private static AgentSettings Warn(AgentSettings settings, List<string> warnings, string warning)
    {
        warnings.Add(warning);
        return settings;
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
