using System.Globalization;

namespace GuestPull.Shim.Sandbox;

/// <summary>Reads process facts from the host's /proc: pids in nested pid namespaces, parents, children.</summary>
internal static class ProcFs
{
    /// <summary>The "NSpid:" line: the pid in this /proc's namespace first, then in each nested one; null if the process is gone.</summary>
    public static uint[]? NamespacePids(int pid)
    {
        foreach (var line in ReadStatus(pid))
        {
            if (line.StartsWith("NSpid:", StringComparison.Ordinal))
            {
                return [.. line["NSpid:".Length..].Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries).Select(field => uint.Parse(field, CultureInfo.InvariantCulture))];
            }
        }

        return null;
    }

    public static int ParentOf(int pid)
    {
        foreach (var line in ReadStatus(pid))
        {
            if (line.StartsWith("PPid:", StringComparison.Ordinal))
            {
                return int.Parse(line["PPid:".Length..].Trim(), CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    /// <summary>Whether <paramref name="pid"/> is <paramref name="ancestor"/> or descends from it.</summary>
    public static bool DescendsFrom(int pid, int ancestor)
    {
        for (var current = pid; current > 1; current = ParentOf(current))
        {
            if (current == ancestor)
            {
                return true;
            }
        }

        return pid == ancestor;
    }

    public static IReadOnlyList<int> ChildrenOf(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/task/{pid}/children");
            return [.. text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(field => int.Parse(field, CultureInfo.InvariantCulture))];
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    public static IEnumerable<int> AllPids()
    {
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                yield return pid;
            }
        }
    }

    public static bool IsAlive(int pid) => Directory.Exists($"/proc/{pid}") && !IsZombie(pid);

    /// <summary>The process's argv, or empty when it is gone.</summary>
    public static IReadOnlyList<string> CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    private static bool IsZombie(int pid)
    {
        foreach (var line in ReadStatus(pid))
        {
            if (line.StartsWith("State:", StringComparison.Ordinal))
            {
                return line.Contains('Z', StringComparison.Ordinal);
            }
        }

        return true;
    }

    private static string[] ReadStatus(int pid)
    {
        try
        {
            return File.ReadAllLines($"/proc/{pid}/status");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}
