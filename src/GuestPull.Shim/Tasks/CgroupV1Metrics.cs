using System.Globalization;
using GuestPull.Api.Containerd.Cgroups.V1;

namespace GuestPull.Shim.Tasks;

/// <summary>
/// Reads a container's cgroup v1 statistics (cpuacct, memory, pids) into containerd's
/// <c>io.containerd.cgroups.v1.Metrics</c>, which CRI turns into container stats. runc in the guest
/// creates the cgroups at the spec's <c>linux.cgroupsPath</c> on the host's hierarchy.
/// </summary>
internal static class CgroupV1Metrics
{
    public const string TypeUrl = "io.containerd.cgroups.v1.Metrics";

    /// <summary>The metrics, or null when the path is not a cgroupfs path or the cgroups are gone (or the host runs cgroup v2 only).</summary>
    public static Metrics? TryRead(string? cgroupsPath, string root = "/sys/fs/cgroup")
    {
        // systemd's "slice:prefix:name" form and relative paths are not resolved here.
        if (string.IsNullOrEmpty(cgroupsPath) || !cgroupsPath.StartsWith('/') || cgroupsPath.Contains(':', StringComparison.Ordinal) || cgroupsPath.Contains("..", StringComparison.Ordinal))
        {
            return null;
        }

        var relative = cgroupsPath.TrimStart('/');
        var cpu = Path.Combine(root, "cpuacct", relative);
        var memory = Path.Combine(root, "memory", relative);
        if (!Directory.Exists(cpu) || !Directory.Exists(memory))
        {
            return null;
        }

        var metrics = new Metrics
        {
            Cpu = new CPUStat { Usage = new CPUUsage { Total = ReadNumber(Path.Combine(cpu, "cpuacct.usage")) } },
            Memory = ReadMemory(memory),
        };
        var ticks = ReadKeyValues(Path.Combine(cpu, "cpuacct.stat"));

        // cpuacct.stat counts USER_HZ ticks (100 per second on Linux).
        metrics.Cpu.Usage.User = ticks.GetValueOrDefault("user") * 10_000_000;
        metrics.Cpu.Usage.Kernel = ticks.GetValueOrDefault("system") * 10_000_000;
        var pids = Path.Combine(root, "pids", relative);
        if (Directory.Exists(pids))
        {
            metrics.Pids = new PidsStat { Current = ReadNumber(Path.Combine(pids, "pids.current")), Limit = ReadNumber(Path.Combine(pids, "pids.max")) };
        }

        return metrics;
    }

    private static MemoryStat ReadMemory(string directory)
    {
        var stat = ReadKeyValues(Path.Combine(directory, "memory.stat"));
        return new MemoryStat
        {
            Cache = stat.GetValueOrDefault("cache"),
            Rss = stat.GetValueOrDefault("rss"),
            MappedFile = stat.GetValueOrDefault("mapped_file"),
            InactiveFile = stat.GetValueOrDefault("inactive_file"),
            ActiveFile = stat.GetValueOrDefault("active_file"),
            TotalCache = stat.GetValueOrDefault("total_cache"),
            TotalRss = stat.GetValueOrDefault("total_rss"),
            TotalInactiveFile = stat.GetValueOrDefault("total_inactive_file"),
            TotalActiveFile = stat.GetValueOrDefault("total_active_file"),
            Usage = new MemoryEntry
            {
                Usage = ReadNumber(Path.Combine(directory, "memory.usage_in_bytes")),
                Limit = ReadNumber(Path.Combine(directory, "memory.limit_in_bytes")),
                Max = ReadNumber(Path.Combine(directory, "memory.max_usage_in_bytes")),
                Failcnt = ReadNumber(Path.Combine(directory, "memory.failcnt")),
            },
        };
    }

    // "max" (no limit) and missing files read as 0, as containerd's cgroups package reports them.
    private static ulong ReadNumber(string path)
    {
        try
        {
            return ulong.TryParse(File.ReadAllText(path).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : 0;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    private static Dictionary<string, ulong> ReadKeyValues(string path)
    {
        var result = new Dictionary<string, ulong>(StringComparer.Ordinal);
        try
        {
            foreach (var line in File.ReadLines(path))
            {
                var parts = line.Split(' ', 2);
                if (parts.Length == 2 && ulong.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var value))
                {
                    result[parts[0]] = value;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The cgroup went away with the container.
        }

        return result;
    }
}
