using System.Globalization;

namespace GuestPull.Bench.Pod.Contenders;

/// Reads memory fields of a /proc/PID/status text, the host's or one printed in the guest.
internal static class ProcStatus
{
    public const string Rss = "VmRSS";
    public const string PeakRss = "VmHWM";

    /// The field's value in bytes ("VmRSS:   12345 kB"; the kernel's kB are KiB), or null when absent.
    public static long? ReadBytes(string status, string field)
    {
        foreach (var line in status.Split('\n'))
        {
            var parts = line.Split([':', ' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 3 && parts[0] == field && parts[2] == "kB" && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var kibibytes))
            {
                return kibibytes * 1024;
            }
        }

        return null;
    }
}
