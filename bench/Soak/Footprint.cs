using System.Globalization;

namespace GuestPull.Bench.Soak;

/// <summary>What a process holds at one moment: resident memory, open descriptors, and mounts below a directory.</summary>
internal sealed record Footprint(long RssKiB, int Descriptors, int Mounts)
{
    /// <summary>Reads /proc for <paramref name="pid"/>; mounts are counted below <paramref name="root"/>.</summary>
    public static Footprint Read(int pid, string root)
    {
        var rss = File.ReadLines($"/proc/{pid}/status")
            .Where(line => line.StartsWith("VmRSS:", StringComparison.Ordinal))
            .Select(line => long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture))
            .Single();
        var descriptors = Directory.GetFileSystemEntries($"/proc/{pid}/fd").Length;
        var mounts = File.ReadLines("/proc/self/mounts")
            .Select(line => line.Split(' '))
            .Count(fields => fields.Length > 1 && fields[1].StartsWith(root, StringComparison.Ordinal));
        return new Footprint(rss, descriptors, mounts);
    }

    /// <summary>A table of the start and end figures with the growth of each, and whether it stays within <paramref name="allowedGrowth"/> (none for a warm-up, which is not judged).</summary>
    public static string Report(string what, Footprint start, Footprint end, double? allowedGrowth)
    {
        static string Growth(long from, long to) =>
            from == 0 ? (to == 0 ? "0%" : "+" + to.ToString(CultureInfo.InvariantCulture)) : ((to - from) * 100.0 / from).ToString("+0.0;-0.0;0.0", CultureInfo.InvariantCulture) + "%";

        var verdict = allowedGrowth is not { } allowed
            ? "warm-up, not judged"
            : (end.RssKiB <= start.RssKiB * (1 + allowed) && end.Descriptors <= start.Descriptors * (1 + allowed) && end.Mounts <= start.Mounts ? "within" : "OVER")
                + string.Create(CultureInfo.InvariantCulture, $" the {allowed:P0} growth allowed once warm (mounts: none)");
        return string.Create(CultureInfo.InvariantCulture, $"""
            {what}
              measure         start        end   growth
              RSS (KiB)  {start.RssKiB,10} {end.RssKiB,10}   {Growth(start.RssKiB, end.RssKiB)}
              descriptors{start.Descriptors,10} {end.Descriptors,10}   {Growth(start.Descriptors, end.Descriptors)}
              mounts     {start.Mounts,10} {end.Mounts,10}   {Growth(start.Mounts, end.Mounts)}
              {verdict}
            """);
    }
}
