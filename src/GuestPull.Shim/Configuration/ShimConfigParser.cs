using System.Globalization;
using System.Text;
using GuestPull.Configuration;
using GuestPull.Configuration.Sandbox;
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
        "host_rootfs_root", "loopback_gateway", "copy_root", "decryption_keys", "ocicrypt_keyprovider_config",
        "node_cache",
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
                case "allow_host_rootfs":
                    config = config with { AllowHostRootfs = file.GetBoolean(key) };
                    break;
                case "agent":
                    agent = file.GetTable(key);
                    break;
                case ShimSandboxSection.SandboxKey:
                    config = config with { Sandbox = ShimSandboxSection.ReadKind(file) };
                    break;
                case ShimSandboxSection.VmKey:
                    config = config with { Vm = ShimSandboxSection.ReadVm(file, warnings) };
                    break;
                default:
                    warnings.Add(file.UnknownKeyWarning(key));
                    break;
            }
        }

        var entries = ReadAgentEntries(agent, warnings);
        return config with { AgentEntries = entries, AgentToml = RenderAgentToml(entries, config.SharedRoot), Warnings = warnings };
    }

    /// <summary>Renders agent entries as TOML, one <c>key = value</c> line each.</summary>
    public static string RenderEntries(IEnumerable<KeyValuePair<string, object>> entries)
    {
        var text = new StringBuilder();
        foreach (var (key, value) in entries)
        {
            text.Append(key).Append(" = ").Append(value switch
            {
                string s => TomlText.Quote(s),
                long n => n.ToString(CultureInfo.InvariantCulture),
                bool b => b ? "true" : "false",
                IReadOnlyList<string> list => "[" + string.Join(", ", list.Select(TomlText.Quote)) + "]",
                _ => throw new ArgumentException($"agent key {key}: unsupported value {value}", nameof(entries)),
            }).Append('\n');
        }

        return text.ToString();
    }

    private static List<KeyValuePair<string, object>> ReadAgentEntries(TomlSection? agent, List<string> warnings)
    {
        var entries = new List<KeyValuePair<string, object>>();
        foreach (var key in agent?.Keys ?? [])
        {
            if (!AgentKeys.Contains(key))
            {
                warnings.Add(agent!.UnknownKeyWarning(key));
                continue;
            }

            entries.Add(new(key, AgentValue(agent!, key)));
        }

        return entries;
    }

    private static string RenderAgentToml(List<KeyValuePair<string, object>> entries, string sharedRoot)
    {
        var text = new StringBuilder(RenderEntries(entries));
        var hasRuncRoot = entries.Any(entry => entry.Key == "runc_root");
        var hasHostRootfsRoot = entries.Any(entry => entry.Key == "host_rootfs_root");

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
    private static object AgentValue(TomlSection agent, string key) => agent.GetValue(key) switch
    {
        string s => s,
        long n => n,
        bool b => b,
        TomlArray => agent.GetStringArray(key),
        _ => throw agent.Invalid(key, "a string, an integer, true or false, or an array of strings"),
    };
}
