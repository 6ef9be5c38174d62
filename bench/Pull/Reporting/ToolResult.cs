using GuestPull.Bench.Pull.Contenders;

namespace GuestPull.Bench.Pull.Reporting;

/// Every sample of one contender, or the error that stopped it.
internal sealed class ToolResult(string name, string description)
{
    public string Name { get; } = name;

    public string Description { get; } = description;

    public List<Sample> Samples { get; } = [];

    public string? Error { get; set; }

    public bool HasSamples => Samples.Count > 0;

    public double MedianSeconds => Median(Samples.Select(s => s.Seconds));

    public double MinSeconds => Samples.Min(s => s.Seconds);

    public double MaxSeconds => Samples.Max(s => s.Seconds);

    /// The highest peak over all runs: the memory a pull needs, not the typical one.
    public long PeakRssBytes => Samples.Max(s => s.PeakRssBytes);

    public double MedianCpuSeconds => Median(Samples.Select(s => s.CpuSeconds));

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}
