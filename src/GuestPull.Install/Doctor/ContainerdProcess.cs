using System.Text;

namespace GuestPull.Install.Doctor;

/// <summary>
/// The running containerd that reads a given config file, found through /proc: its environment is
/// what it searches for shims and mount helpers, which may differ from the doctor's own.
/// </summary>
internal static class ContainerdProcess
{
    private const string DefaultConfig = "/etc/containerd/config.toml";

    /// <summary>The PATH of the containerd process using <paramref name="configPath"/>, or null when none runs (or /proc hides it).</summary>
    public static string? FindPath(string configPath)
    {
        var wanted = Path.GetFullPath(configPath);
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out _))
            {
                continue;
            }

            try
            {
                var arguments = Split(File.ReadAllBytes(Path.Combine(directory, "cmdline")));
                if (arguments.Count == 0 || Path.GetFileName(arguments[0]) != "containerd" || ConfigOf(arguments) != wanted)
                {
                    continue;
                }

                return Split(File.ReadAllBytes(Path.Combine(directory, "environ")))
                    .FirstOrDefault(v => v.StartsWith("PATH=", StringComparison.Ordinal))?["PATH=".Length..] ?? string.Empty;
            }
            catch (IOException)
            {
                // The process exited while we looked.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return null;
    }

    private static string ConfigOf(IReadOnlyList<string> arguments)
    {
        for (var i = 1; i < arguments.Count; i++)
        {
            if (arguments[i] is "--config" or "-c" && i + 1 < arguments.Count)
            {
                return Path.GetFullPath(arguments[i + 1]);
            }

            if (arguments[i].StartsWith("--config=", StringComparison.Ordinal))
            {
                return Path.GetFullPath(arguments[i]["--config=".Length..]);
            }
        }

        return DefaultConfig;
    }

    private static List<string> Split(byte[] nulSeparated) =>
        [.. Encoding.UTF8.GetString(nulSeparated).Split('\0', StringSplitOptions.RemoveEmptyEntries)];
}
