using System.Globalization;

namespace GuestPull.Bench.Pod.Contenders;

/// Finds a pod's QEMU on the host: the qemu-system process whose command line names the pod (the shim
/// passes the pod id in the VM's name and in the agent socket's path).
internal static class QemuProcess
{
    /// The pids of every qemu-system-* process whose arguments mention <paramref name="podId"/>.
    public static IReadOnlyList<int> Find(string podId)
    {
        var found = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            string[] arguments;
            try
            {
                arguments = File.ReadAllText(Path.Combine(directory, "cmdline")).Split('\0', StringSplitOptions.RemoveEmptyEntries);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue; // gone meanwhile
            }

            if (arguments.Length > 0 && Path.GetFileName(arguments[0]).StartsWith("qemu-system", StringComparison.Ordinal)
                && arguments.Any(a => a.Contains(podId, StringComparison.Ordinal)))
            {
                found.Add(pid);
            }
        }

        return found;
    }

    /// /proc/PID/status of a host process, or null when it is gone.
    public static string? ReadStatus(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/status");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
