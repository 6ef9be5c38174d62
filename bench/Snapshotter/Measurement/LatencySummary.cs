namespace GuestPull.Bench.Snapshotter.Measurement;

/// What one kind of call cost: <paramref name="Count"/> calls in <paramref name="WallSeconds"/> of
/// wall time (so <see cref="CallsPerSecond"/> counts every client together), latencies in milliseconds.
internal sealed record LatencySummary(
    string Name,
    int Count,
    int Clients,
    double WallSeconds,
    double MeanMilliseconds,
    double P50Milliseconds,
    double P99Milliseconds,
    double MaxMilliseconds)
{
    public double CallsPerSecond => WallSeconds > 0 ? Count / WallSeconds : 0;
}
