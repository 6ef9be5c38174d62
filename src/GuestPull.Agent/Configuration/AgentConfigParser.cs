using System.Globalization;
using Tomlyn;
using Tomlyn.Model;

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

        string text;
        try
        {
            text = await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new AgentConfigurationException($"cannot read agent config file {path}: {ex.Message}", ex);
        }

        return Parse(text, path);
    }

    public static AgentSettings Parse(string text, string source)
    {
        TomlTable table;
        try
        {
            table = TomlSerializer.Deserialize(text, TomlModelContext.Default.TomlTable) ?? new TomlTable();
        }
        catch (TomlException ex)
        {
            throw new AgentConfigurationException($"agent config file {source} is not valid TOML: {ex.Message}", ex);
        }

        var settings = new AgentSettings();
        var warnings = new List<string>();
        foreach (var (key, value) in table)
        {
            settings = key switch
            {
                "image_root" => settings with { ImageRoot = AbsolutePath(source, key, value) },
                "bundle_root" => settings with { BundleRoot = AbsolutePath(source, key, value) },
                "registries_conf" => settings with { RegistriesConf = AbsolutePath(source, key, value) },
                "auth_file" => settings with { AuthFile = AbsolutePath(source, key, value) },
                "policy" => settings with { Policy = AbsolutePath(source, key, value) },
                "registries_d" => settings with { RegistriesD = AbsolutePath(source, key, value) },
                "insecure_registries" => settings with { InsecureRegistries = HostList(source, key, value) },
                "pull_concurrency" => settings with { PullConcurrency = (int)Integer(source, key, value, 1, 64) },
                "pull_timeout_seconds" => settings with { PullTimeout = TimeSpan.FromSeconds(Integer(source, key, value, 1, 86_400)) },
                "runc_path" => settings with { RuncPath = NonEmpty(source, key, value) },
                "runc_root" => settings with { RuncRoot = AbsolutePath(source, key, value) },
                "pause_binary" => settings with { PauseBinary = AbsolutePath(source, key, value) },
                "host_rootfs_root" => settings with { HostRootfsRoot = AbsolutePath(source, key, value) },
                _ => Warn(settings, warnings, $"{source}: ignoring unknown key '{key}'"),
            };
        }

        return settings with { Warnings = warnings };
    }

    private static AgentSettings Warn(AgentSettings settings, List<string> warnings, string warning)
    {
        warnings.Add(warning);
        return settings;
    }

    private static string NonEmpty(string source, string key, object? value) =>
        value is string { Length: > 0 } text && !text.Contains('\0', StringComparison.Ordinal)
            ? text
            : throw new AgentConfigurationException($"{source}: '{key}' must be a non-empty string, got {Describe(value)}");

    private static string AbsolutePath(string source, string key, object? value)
    {
        var path = NonEmpty(source, key, value);
        return Path.IsPathFullyQualified(path)
            ? Path.TrimEndingDirectorySeparator(path)
            : throw new AgentConfigurationException($"{source}: '{key}' must be an absolute path, got \"{path}\"");
    }

    private static long Integer(string source, string key, object? value, long min, long max) =>
        value is long number && number >= min && number <= max
            ? number
            : throw new AgentConfigurationException(
                $"{source}: '{key}' must be an integer from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}, got {Describe(value)}");

    private static List<string> HostList(string source, string key, object? value)
    {
        if (value is not TomlArray array)
        {
            throw new AgentConfigurationException($"{source}: '{key}' must be an array of \"host[:port]\" strings, got {Describe(value)}");
        }

        var hosts = new List<string>();
        foreach (var item in array)
        {
            if (item is not string { Length: > 0 } host || host.Any(c => char.IsWhiteSpace(c) || c == '/'))
            {
                throw new AgentConfigurationException($"{source}: '{key}' entries must be \"host[:port]\" strings, got {Describe(item)}");
            }

            hosts.Add(host);
        }

        return hosts;
    }

    private static string Describe(object? value) => value switch
    {
        null => "nothing",
        string text => $"\"{text}\"",
        long number => number.ToString(CultureInfo.InvariantCulture),
        bool flag => flag ? "true" : "false",
        TomlArray => "an array",
        TomlTable => "a table",
        _ => value.GetType().Name,
    };
}
