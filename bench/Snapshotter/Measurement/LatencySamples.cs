using System.Collections.Concurrent;
using System.Diagnostics;

namespace GuestPull.Bench.Snapshotter.Measurement;

/// Collects call latencies from any number of clients and summarises them (nearest-rank percentiles).
internal sealed class LatencySamples
{
    private readonly ConcurrentBag<double> _milliseconds = [];

    public int Count => _milliseconds.Count;

    /// Awaits <paramref name="call"/> and records how long it took, start to completion.
    public async Task TimeAsync(Func<Task> call)
    {
        var started = Stopwatch.GetTimestamp();
        await call().ConfigureAwait(false);
        _milliseconds.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    public LatencySummary Summarise(string name, int clients, TimeSpan wallTime)
    {
        var sorted = _milliseconds.ToArray();
        if (sorted.Length == 0)
        {
            throw new InvalidOperationException($"No {name} call was recorded.");
        }

        Array.Sort(sorted);
        return new LatencySummary(
            name,
            sorted.Length,
            clients,
            wallTime.TotalSeconds,
            sorted.Average(),
            Percentile(sorted, 0.50),
            Percentile(sorted, 0.99),
            sorted[^1]);
    }

    /// Nearest rank: the smallest sample with at least <paramref name="fraction"/> of the samples at or below it.
    public static double Percentile(double[] sorted, double fraction)
    {
        var rank = (int)Math.Ceiling(fraction * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}
