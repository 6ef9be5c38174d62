using System.Globalization;
using System.Text;
using GuestPull.Configuration;
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

        try
        {
            return Read(await TomlConfigReader.ReadAsync(path, cancellationToken).ConfigureAwait(false)) with { Source = path };
        }
        catch (ConfigFileException ex)
        {
            throw new ShimException(ex.Message, ex);
        }
    }

    public static ShimConfig Parse(string text, string source)
    {
        try
        {
            return Read(TomlConfigReader.Parse(text, source));
        }
        catch (ConfigFileException ex)
        {
            throw new ShimException(ex.Message, ex);
        }
    }

    private static ShimConfig Read(TomlSection file)
    {
        var config = new ShimConfig();
        var warnings = new List<string>();
        TomlSection? agent = null;
        foreach (var key in file.Keys)
        {
            switch (key)
            {
                case "socket_dir":
                    config = config with { SocketDirectory = file.GetAbsolutePath(key) };
                    break;
                case "state_root":
                    config = config with { StateRoot = file.GetAbsolutePath(key) };
                    break;
                case "shared_root":
                    config = config with { SharedRoot = file.GetAbsolutePath(key) };
                    break;
                case "guestpull_path":
                    config = config with { GuestPullPath = file.GetAbsolutePath(key) };
                    break;
                case "agent_start_timeout_seconds":
                    config = config with { AgentStartTimeout = file.GetSeconds(key, 1, 86_400) };
                    break;
                case "agent":
                    agent = file.GetTable(key);
                    break;
                default:
                    warnings.Add(file.UnknownKeyWarning(key));
                    break;
            }
        }

        return config with { AgentToml = RenderAgentToml(agent, warnings, config.SharedRoot), Warnings = warnings };
    }

    private static string RenderAgentToml(TomlSection? agent, List<string> warnings, string sharedRoot)
    {
        var text = new StringBuilder();
        var hasRuncRoot = false;
        var hasHostRootfsRoot = false;
        foreach (var key in agent?.Keys ?? [])
        {
            if (!AgentKeys.Contains(key))
            {
                warnings.Add(agent!.UnknownKeyWarning(key));
                continue;
            }

            hasRuncRoot |= key == "runc_root";
            hasHostRootfsRoot |= key == "host_rootfs_root";
            text.Append(key).Append(" = ").Append(TomlValue(agent!, key)).Append('\n');
        }

        if (!hasRuncRoot)
        {
            text.Append("runc_root = ").Append(TomlText.Quote(SandboxRuncRoot)).Append('\n');
        }

        // The shim mounts a rootfs the host unpacked (no guest-pull volume) below its shared root, which
        // the sandbox sees at the same path: the agent may take root filesystems from there and only there.
        if (!hasHostRootfsRoot)
        {
            text.Append("host_rootfs_root = ").Append(TomlText.Quote(sharedRoot)).Append('\n');
        }

        return text.ToString();
    }

    // The agent's keys hold strings, integers, booleans and string arrays; the agent checks the values themselves.
    private static string TomlValue(TomlSection agent, string key) => agent.GetValue(key) switch
    {
        string s => TomlText.Quote(s),
        long n => n.ToString(CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        TomlArray => "[" + string.Join(", ", agent.GetStringArray(key).Select(TomlText.Quote)) + "]",
        _ => throw agent.Invalid(key, "a string, an integer, true or false, or an array of strings"),
    };
}
