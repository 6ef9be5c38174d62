using System.Globalization;
using System.Text;
using Tomlyn;
using Tomlyn.Model;

namespace GuestPull.Shim.Configuration;

/// <summary>
/// Reads the shim's TOML file. Top-level keys are the shim's own; the <c>[agent]</c> table is handed to
/// <c>guestpull agent</c> as its config file, with <c>runc_root</c> defaulting into the sandbox's memory.
/// </summary>
internal static class ShimConfigParser
{
    /// <summary>Where the agent keeps runc state when the [agent] table does not say: inside the sandbox's tmpfs, so it dies with it.</summary>
    public const string SandboxRuncRoot = "/run/kata-containers/runc";

    private static readonly HashSet<string> AgentKeys = new(StringComparer.Ordinal)
    {
        "image_root", "bundle_root", "registries_conf", "auth_file", "insecure_registries", "policy",
        "pull_concurrency", "pull_timeout_seconds", "runc_path", "runc_root", "pause_binary", "registries_d",
        "host_rootfs_root",
    };

    /// <summary>
    /// The config for this process: <paramref name="explicitPath"/> (the runtime options' ConfigPath) when
    /// given, else <c>$GUESTPULL_SHIM_CONFIG</c>, else /etc/guestpull/shim.toml when it exists, else the defaults.
    /// </summary>
    public static async Task<ShimConfig> LoadAsync(string? explicitPath, CancellationToken cancellationToken)
    {
        var path = explicitPath;
        if (string.IsNullOrEmpty(path))
        {
            path = Environment.GetEnvironmentVariable(ShimConfig.PathVariable);
        }

        if (string.IsNullOrEmpty(path))
        {
            if (!File.Exists(ShimConfig.DefaultPath))
            {
                return Parse(string.Empty, "defaults");
            }

            path = ShimConfig.DefaultPath;
        }

        string text;
        try
        {
            text = await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ShimException($"cannot read shim config file {path}: {ex.Message}", ex);
        }

        return Parse(text, path) with { Source = path };
    }

    public static ShimConfig Parse(string text, string source)
    {
        TomlTable table;
        try
        {
            table = TomlSerializer.Deserialize<TomlTable>(text) ?? new TomlTable();
        }
        catch (TomlException ex)
        {
            throw new ShimException($"shim config file {source} is not valid TOML: {ex.Message}", ex);
        }

        var config = new ShimConfig();
        var warnings = new List<string>();
        TomlTable? agent = null;
        foreach (var (key, value) in table)
        {
            switch (key)
            {
                case "socket_dir":
                    config = config with { SocketDirectory = AbsolutePath(source, key, value) };
                    break;
                case "state_root":
                    config = config with { StateRoot = AbsolutePath(source, key, value) };
                    break;
                case "shared_root":
                    config = config with { SharedRoot = AbsolutePath(source, key, value) };
                    break;
                case "guestpull_path":
                    config = config with { GuestPullPath = AbsolutePath(source, key, value) };
                    break;
                case "agent_start_timeout_seconds":
                    config = config with { AgentStartTimeout = TimeSpan.FromSeconds(Seconds(source, key, value)) };
                    break;
                case "agent":
                    agent = value as TomlTable ?? throw new ShimException($"{source}: 'agent' must be a table ([agent]), got {Describe(value)}");
                    break;
                default:
                    warnings.Add($"{source}: ignoring unknown key '{key}'");
                    break;
            }
        }

        return config with { AgentToml = RenderAgentToml(agent, source, warnings, config.SharedRoot), Warnings = warnings };
    }

    private static string RenderAgentToml(TomlTable? agent, string source, List<string> warnings, string sharedRoot)
    {
        var text = new StringBuilder();
        var hasRuncRoot = false;
        var hasHostRootfsRoot = false;
        foreach (var (key, value) in agent ?? [])
        {
            if (!AgentKeys.Contains(key))
            {
                warnings.Add($"{source}: ignoring unknown key 'agent.{key}'");
                continue;
            }

            hasRuncRoot |= key == "runc_root";
            hasHostRootfsRoot |= key == "host_rootfs_root";
            text.Append(key).Append(" = ").Append(TomlValue(source, key, value)).Append('\n');
        }

        if (!hasRuncRoot)
        {
            text.Append("runc_root = ").Append(Quote(SandboxRuncRoot)).Append('\n');
        }

        // The shim mounts a rootfs the host unpacked (no guest-pull volume) below its shared root, which
        // the sandbox sees at the same path: the agent may take root filesystems from there and only there.
        if (!hasHostRootfsRoot)
        {
            text.Append("host_rootfs_root = ").Append(Quote(sharedRoot)).Append('\n');
        }

        return text.ToString();
    }

    private static string TomlValue(string source, string key, object? value) => value switch
    {
        string s => Quote(s),
        long n => n.ToString(CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        TomlArray array => "[" + string.Join(", ", array.Select(item => item is string s
            ? Quote(s)
            : throw new ShimException($"{source}: 'agent.{key}' must hold strings only, got {Describe(item)}"))) + "]",
        _ => throw new ShimException($"{source}: 'agent.{key}' has an unsupported value {Describe(value)}"),
    };

    // A TOML basic string: escape the backslash, the quote and control characters.
    private static string Quote(string value)
    {
        var text = new StringBuilder("\"");
        foreach (var c in value)
        {
            _ = c switch
            {
                '\\' => text.Append("\\\\"),
                '"' => text.Append("\\\""),
                < ' ' or '\u007f' => text.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)),
                _ => text.Append(c),
            };
        }

        return text.Append('"').ToString();
    }

    private static string AbsolutePath(string source, string key, object? value) =>
        value is string { Length: > 0 } path && Path.IsPathRooted(path) && !path.Contains('\0', StringComparison.Ordinal)
            ? Path.TrimEndingDirectorySeparator(path)
            : throw new ShimException($"{source}: '{key}' must be an absolute path, got {Describe(value)}");

    private static long Seconds(string source, string key, object? value) =>
        value is long n && n is >= 1 and <= 86_400
            ? n
            : throw new ShimException($"{source}: '{key}' must be a whole number of seconds from 1 to 86400, got {Describe(value)}");

    private static string Describe(object? value) => value switch
    {
        null => "nothing",
        string s => $"\"{s}\"",
        TomlTable => "a table",
        TomlArray => "an array",
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? value.GetType().Name,
    };
}
