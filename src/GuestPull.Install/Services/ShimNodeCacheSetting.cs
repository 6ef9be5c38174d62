using GuestPull.Install.State;
using GuestPull.Install.Toml;
using GuestPull.Linux;

namespace GuestPull.Install.Services;

/// <summary>
/// <c>install --cache</c>'s edit of the shim's config: <c>node_cache</c> in its <c>[agent]</c> table, which
/// the shim hands every pod's agent, so guests try the node cache first for content named by digest.
/// The edit keeps the file's comments and layout; uninstall puts the file back byte for byte while
/// nobody changed it since, else removes only the key it set.
/// </summary>
internal static class ShimNodeCacheSetting
{
    private static readonly string[] AgentTable = ["agent"];
    private const string Key = "node_cache";

    /// <summary>Sets the key; returns the step to record, or null when the file already says so.</summary>
    public static InstallStep? Apply(InstallOptions options, InstallReport report)
    {
        var path = options.ShimConfigFile;
        var previous = File.Exists(path) ? File.ReadAllText(path) : null;
        var editor = TomlDocumentEditor.Parse(previous ?? string.Empty, path);
        var value = TomlDocumentEditor.Quote(Address(options));
        var before = editor.GetValueText(AgentTable, Key);
        if (before == value)
        {
            report.Step($"{path} already points the agents at the node cache ([agent] {Key} = {value})");
            return null;
        }
        editor.SetValue(AgentTable, Key, value);
        var text = editor.ToString();
        FileWriter.WriteAtomically(path, text);
        if (before is not null)
        {
            report.Warn($"{path}: [agent] {Key} was {before}; now {value} (uninstall puts the old value back)");
        }
        report.Step($"set [agent] {Key} = {value} in {path}: every pod's agent tries the node cache first");
        return new InstallStep
        {
            Kind = InstallStep.ShimNodeCache,
            Path = path,
            PreviousContent = previous,
            CreatedFile = previous is null,
            WrittenSha256 = FileWriter.Sha256(text),
            Value = value,
        };
    }

    /// <summary>
    /// What the agents are pointed at: the cache <c>--node-cache</c> names (validated as <c>HOST:PORT</c>), else
    /// the one install starts, reached on loopback when it listens on every address.
    /// </summary>
    public static string Address(InstallOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.NodeCache is not { } external)
        {
            return CacheService.ClientAddress(options.CacheListen);
        }

        var colon = external.LastIndexOf(':');
        var host = colon <= 0 ? string.Empty : external[..colon];
        var valid = host.Length > 0 && !host.Contains('/', StringComparison.Ordinal) && !external.Contains("://", StringComparison.Ordinal)
            && ushort.TryParse(external[(colon + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) && port > 0;
        return valid ? external : throw new InstallException($"--node-cache: \"{external}\" is not HOST:PORT (a host or IP address and a port from 1 to 65535, no scheme or path)");
    }

    public static void Undo(InstallStep step, InstallReport report)
    {
        if (step.Path is not { } path || !File.Exists(path))
        {
            report.Step($"{step.Path} is gone; nothing to restore");
            return;
        }
        var current = File.ReadAllText(path);
        if (FileWriter.Sha256(current) == step.WrittenSha256)
        {
            if (step.PreviousContent is null)
            {
                File.Delete(path);
                report.Step($"removed {path}");
            }
            else
            {
                AtomicFile.Write(path, System.Text.Encoding.UTF8.GetBytes(step.PreviousContent), File.GetUnixFileMode(path));
                report.Step($"restored {path}");
            }
            return;
        }
        // Someone edited the file since: keep their changes, take back only the value install set.
        var editor = TomlDocumentEditor.Parse(current, path);
        if (editor.GetValueText(AgentTable, Key) == step.Value)
        {
            editor.RemoveKey(AgentTable, Key);
            if (editor.IsEmptyTable(AgentTable) && step.PreviousContent is { } previous && !TomlDocumentEditor.Parse(previous, path).HasTable(AgentTable))
            {
                editor.RemoveTableTree(AgentTable);
            }
            FileWriter.WriteAtomically(path, editor.ToString());
            report.Warn($"{path} changed since guestpull install --cache edited it: removed only [agent] {Key}");
        }
        else
        {
            report.Warn($"{path} changed since guestpull install --cache edited it and [agent] {Key} is no longer its value: left as it is");
        }
    }
}
