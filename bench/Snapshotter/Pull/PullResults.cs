namespace GuestPull.Bench.Snapshotter.Pull;

/// Every timed pull of the image, both contenders.
internal sealed record PullResults(string Reference, BenchImage Image, int Runs, IReadOnlyList<PullSample> Samples)
{
    public IReadOnlyList<PullSample> Of(PullContender contender) => [.. Samples.Where(sample => sample.Contender == contender)];

    public double Median(PullContender contender)
    {
        var sorted = Of(contender).Select(sample => sample.Seconds).Order().ToArray();
        if (sorted.Length == 0)
        {
            throw new InvalidOperationException($"No pull of {contender} was timed.");
        }

        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    /// Median proxy pull time over median overlayfs pull time.
    public double ProxyOverOverlayfs => Median(PullContender.GuestPullProxy) / Median(PullContender.ContainerdOverlayfs);
}
