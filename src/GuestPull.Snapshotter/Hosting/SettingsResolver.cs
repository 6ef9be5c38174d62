using GuestPull.Configuration;
using Microsoft.Extensions.Logging;

namespace GuestPull.Snapshotter.Hosting;

/// <summary>
/// Reads nydus-snapshotter's TOML format (its `config-proxy.toml` works unchanged) and merges the
/// command-line flags over it. Keys GuestPull does not use are warned about; values it cannot honour
/// are refused with the key named.
/// </summary>
internal static class SettingsResolver
{
    private const string DriverChoices = "\"proxy\" or \"overlayfs\"";
    private const string LogLevelChoices = "one of trace, debug, info, warn, error, fatal, none";

    public static async Task<SnapshotterSettings> ResolveAsync(SnapshotterOptions options, CancellationToken cancellationToken)
    {
        var warnings = new List<string>();
        var file = new FileValues();
        if (options.ConfigFile is not null)
        {
            try
            {
                file = Read(await TomlConfigReader.ReadAsync(options.ConfigFile, cancellationToken).ConfigureAwait(false), warnings);
            }
            catch (ConfigFileException ex)
            {
                throw new SnapshotterConfigurationException(ex.Message, ex);
            }
        }
        var root = ValidatePath(options.Root, "--root", file.Root, options.ConfigFile, "root", SnapshotterOptions.DefaultRoot);
        var address = ValidatePath(options.Address, "--address", file.Address, options.ConfigFile, "address", SnapshotterOptions.DefaultAddress);
        var driver = options.FsDriver is not null ? ParseDriver(options.FsDriver, "--fs-driver") : file.Driver ?? SnapshotterDriver.Proxy;
        var level = options.LogLevel is not null ? ParseLogLevel(options.LogLevel, "--log-level") : file.LogLevel ?? LogLevel.Information;
        return new SnapshotterSettings(root, address, driver, level, options.LogToStdout ?? file.LogToStdout ?? false, file.AllowHostRootfs ?? false, file.DiscardHostLayers ?? false, warnings);
    }

    /// <summary>Parses the file's text; exposed for tests.</summary>
    public static FileValues Parse(string text, string source, List<string> warnings)
    {
        try
        {
            return Read(TomlConfigReader.Parse(text, source), warnings);
        }
        catch (ConfigFileException ex)
        {
            throw new SnapshotterConfigurationException(ex.Message, ex);
        }
    }

    private static FileValues Read(TomlSection file, List<string> warnings)
    {
        var values = new FileValues();
        foreach (var key in file.Keys)
        {
            switch (key)
            {
                case "version":
                    _ = file.GetInteger(key, 1, 1);
                    break;
                case "root":
                    values.Root = file.GetString(key);
                    break;
                case "address":
                    values.Address = file.GetString(key);
                    break;
                case "daemon_mode":
                    // GuestPull runs no nydusd.
                    _ = file.GetChoice(key, "none");
                    break;
                case "daemon":
                    var daemon = file.GetTable(key);
                    foreach (var subKey in daemon.Keys)
                    {
                        if (subKey == "fs_driver")
                        {
                            values.Driver = TryParseDriver(daemon.GetString(subKey)) ?? throw daemon.Invalid(subKey, DriverChoices);
                        }
                        else
                        {
                            warnings.Add(daemon.UnknownKeyWarning(subKey));
                        }
                    }
                    break;
                case "snapshot":
                    var snapshot = file.GetTable(key);
                    foreach (var subKey in snapshot.Keys)
                    {
                        switch (subKey)
                        {
                            case "enable_kata_volume":
                                _ = snapshot.GetBoolean(subKey);
                                break;
                            case "allow_host_rootfs":
                                values.AllowHostRootfs = snapshot.GetBoolean(subKey);
                                break;
                            case "discard_host_layers":
                                values.DiscardHostLayers = snapshot.GetBoolean(subKey);
                                break;
                            default:
                                warnings.Add(snapshot.UnknownKeyWarning(subKey));
                                break;
                        }
                    }
                    break;
                case "log":
                    var log = file.GetTable(key);
                    foreach (var subKey in log.Keys)
                    {
                        switch (subKey)
                        {
                            case "level":
                                values.LogLevel = TryParseLogLevel(log.GetString(subKey)) ?? throw log.Invalid(subKey, LogLevelChoices);
                                break;
                            case "log_to_stdout":
                                values.LogToStdout = log.GetBoolean(subKey);
                                break;
                            default:
                                warnings.Add(log.UnknownKeyWarning(subKey));
                                break;
                        }
                    }
                    break;
                default:
                    warnings.Add(file.UnknownKeyWarning(key));
                    break;
            }
        }
        return values;
    }

    public static SnapshotterDriver ParseDriver(string value, string what) =>
        TryParseDriver(value) ?? throw new SnapshotterConfigurationException($"{what} must be {DriverChoices}, got \"{value}\"");

    public static LogLevel ParseLogLevel(string value, string what) =>
        TryParseLogLevel(value) ?? throw new SnapshotterConfigurationException($"{what} must be {LogLevelChoices}; got \"{value}\"");

    private static SnapshotterDriver? TryParseDriver(string value) => value switch
    {
        "proxy" => SnapshotterDriver.Proxy,
        "overlayfs" => SnapshotterDriver.Overlayfs,
        _ => null,
    };

    private static LogLevel? TryParseLogLevel(string value) => value.ToLowerInvariant() switch
    {
        "trace" => LogLevel.Trace,
        "debug" => LogLevel.Debug,
        "info" or "information" => LogLevel.Information,
        "warn" or "warning" => LogLevel.Warning,
        "error" => LogLevel.Error,
        "fatal" or "critical" => LogLevel.Critical,
        "none" => LogLevel.None,
        _ => null,
    };

    // The flag wins over the file, the file over the default; only the value in force must be absolute,
    // and the message names where it came from.
    private static string ValidatePath(string? flag, string flagName, string? fileValue, string? configFile, string key, string defaultPath)
    {
        var path = flag ?? fileValue ?? defaultPath;
        if (!Path.IsPathFullyQualified(path))
        {
            if (flag is null && fileValue is not null && configFile is not null)
            {
                var error = ConfigFileException.WrongValue(configFile, key, "an absolute path", TomlSection.Describe(path));
                throw new SnapshotterConfigurationException(error.Message, error);
            }
            throw new SnapshotterConfigurationException($"{(flag is null ? key : flagName)} must be an absolute path, got \"{path}\"");
        }
        return Path.GetFullPath(path);
    }

    /// <summary>What the file said; null where it said nothing.</summary>
    internal sealed class FileValues
    {
        public string? Root { get; set; }

        public string? Address { get; set; }

        public SnapshotterDriver? Driver { get; set; }

        public LogLevel? LogLevel { get; set; }

        public bool? LogToStdout { get; set; }

        public bool? AllowHostRootfs { get; set; }

        public bool? DiscardHostLayers { get; set; }
    }
}
