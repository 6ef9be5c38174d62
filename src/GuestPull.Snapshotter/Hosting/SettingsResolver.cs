using Microsoft.Extensions.Logging;
using Tomlyn;
using Tomlyn.Model;

namespace GuestPull.Snapshotter.Hosting;

/// <summary>
/// Reads nydus-snapshotter's TOML format (its `config-proxy.toml` works unchanged) and merges the
/// command-line flags over it. Keys GuestPull does not use are warned about; values it cannot honour
/// are refused with the key named.
/// </summary>
internal static class SettingsResolver
{
    public static async Task<SnapshotterSettings> ResolveAsync(SnapshotterOptions options, CancellationToken cancellationToken)
    {
        var warnings = new List<string>();
        var file = new FileValues();
        if (options.ConfigFile is not null)
        {
            string text;
            try
            {
                text = await File.ReadAllTextAsync(options.ConfigFile, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new SnapshotterConfigurationException($"cannot read config file {options.ConfigFile}: {ex.Message}", ex);
            }
            file = Parse(text, options.ConfigFile, warnings);
        }
        var root = ValidatePath(options.Root ?? file.Root ?? SnapshotterOptions.DefaultRoot, options.Root is null ? "root" : "--root");
        var address = ValidatePath(options.Address ?? file.Address ?? SnapshotterOptions.DefaultAddress, options.Address is null ? "address" : "--address");
        var driver = options.FsDriver is not null ? ParseDriver(options.FsDriver, "--fs-driver") : file.Driver ?? SnapshotterDriver.Proxy;
        var level = options.LogLevel is not null ? ParseLogLevel(options.LogLevel, "--log-level") : file.LogLevel ?? LogLevel.Information;
        return new SnapshotterSettings(root, address, driver, level, options.LogToStdout ?? file.LogToStdout ?? false, warnings);
    }

    /// <summary>Parses the file's text; exposed for tests.</summary>
    public static FileValues Parse(string text, string source, List<string> warnings)
    {
        TomlTable table;
        try
        {
            table = TomlSerializer.Deserialize<TomlTable>(text) ?? new TomlTable();
        }
        catch (TomlException ex)
        {
            throw new SnapshotterConfigurationException($"config file {source} is not valid TOML: {ex.Message}", ex);
        }
        var values = new FileValues();
        foreach (var (key, value) in table)
        {
            switch (key)
            {
                case "version":
                    if (value is not long version || version != 1)
                    {
                        throw new SnapshotterConfigurationException($"{source}: 'version' must be 1, got {Describe(value)}");
                    }
                    break;
                case "root":
                    values.Root = RequireString(source, key, value);
                    break;
                case "address":
                    values.Address = RequireString(source, key, value);
                    break;
                case "daemon_mode":
                    var mode = RequireString(source, key, value);
                    if (mode != "none")
                    {
                        throw new SnapshotterConfigurationException(
                            $"{source}: 'daemon_mode' must be \"none\" (GuestPull runs no nydusd), got \"{mode}\"");
                    }
                    break;
                case "daemon":
                    foreach (var (subKey, subValue) in RequireTable(source, key, value))
                    {
                        if (subKey == "fs_driver")
                        {
                            values.Driver = ParseDriver(RequireString(source, "daemon.fs_driver", subValue), $"{source}: 'daemon.fs_driver'");
                        }
                        else
                        {
                            warnings.Add($"{source}: ignoring unknown key 'daemon.{subKey}'");
                        }
                    }
                    break;
                case "snapshot":
                    foreach (var (subKey, subValue) in RequireTable(source, key, value))
                    {
                        if (subKey == "enable_kata_volume")
                        {
                            if (subValue is not bool)
                            {
                                throw new SnapshotterConfigurationException(
                                    $"{source}: 'snapshot.enable_kata_volume' must be true or false, got {Describe(subValue)}");
                            }
                        }
                        else
                        {
                            warnings.Add($"{source}: ignoring unknown key 'snapshot.{subKey}'");
                        }
                    }
                    break;
                case "log":
                    foreach (var (subKey, subValue) in RequireTable(source, key, value))
                    {
                        switch (subKey)
                        {
                            case "level":
                                values.LogLevel = ParseLogLevel(RequireString(source, "log.level", subValue), $"{source}: 'log.level'");
                                break;
                            case "log_to_stdout":
                                values.LogToStdout = subValue as bool?
                                    ?? throw new SnapshotterConfigurationException(
                                        $"{source}: 'log.log_to_stdout' must be true or false, got {Describe(subValue)}");
                                break;
                            default:
                                warnings.Add($"{source}: ignoring unknown key 'log.{subKey}'");
                                break;
                        }
                    }
                    break;
                default:
                    warnings.Add($"{source}: ignoring unknown key '{key}'");
                    break;
            }
        }
        return values;
    }

    public static SnapshotterDriver ParseDriver(string value, string what) => value switch
    {
        "proxy" => SnapshotterDriver.Proxy,
        "overlayfs" => SnapshotterDriver.Overlayfs,
        _ => throw new SnapshotterConfigurationException($"{what} must be \"proxy\" or \"overlayfs\", got \"{value}\""),
    };

    public static LogLevel ParseLogLevel(string value, string what) => value.ToLowerInvariant() switch
    {
        "trace" => LogLevel.Trace,
        "debug" => LogLevel.Debug,
        "info" or "information" => LogLevel.Information,
        "warn" or "warning" => LogLevel.Warning,
        "error" => LogLevel.Error,
        "fatal" or "critical" => LogLevel.Critical,
        "none" => LogLevel.None,
        _ => throw new SnapshotterConfigurationException(
            $"{what} must be one of trace, debug, info, warn, error, fatal, none; got \"{value}\""),
    };

    private static string ValidatePath(string path, string what)
    {
        if (!Path.IsPathFullyQualified(path))
        {
            throw new SnapshotterConfigurationException($"{what} must be an absolute path, got \"{path}\"");
        }
        return Path.GetFullPath(path);
    }

    private static string RequireString(string source, string key, object value) =>
        value as string ?? throw new SnapshotterConfigurationException($"{source}: '{key}' must be a string, got {Describe(value)}");

    private static TomlTable RequireTable(string source, string key, object value) =>
        value as TomlTable ?? throw new SnapshotterConfigurationException($"{source}: '{key}' must be a table, got {Describe(value)}");

    private static string Describe(object? value) => value switch
    {
        null => "nothing",
        string text => $"\"{text}\"",
        bool flag => flag ? "true" : "false",
        TomlTable => "a table",
        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? value.GetType().Name,
    };

    /// <summary>What the file said; null where it said nothing.</summary>
    internal sealed class FileValues
    {
        public string? Root { get; set; }

        public string? Address { get; set; }

        public SnapshotterDriver? Driver { get; set; }

        public LogLevel? LogLevel { get; set; }

        public bool? LogToStdout { get; set; }
    }
}
