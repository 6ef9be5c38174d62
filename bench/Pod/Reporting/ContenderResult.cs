using GuestPull.Bench.Pod.Contenders;

namespace GuestPull.Bench.Pod.Reporting;

/// Every sample of one contender, or the error that stopped it.
internal sealed class ContenderResult(string name, string description, bool inVm = false)
{
    public string Name { get; } = name;

    public string Description { get; } = description;

    /// Whether its pods are QEMU VMs, whose samples carry <see cref="VmFigures"/>.
    public bool InVm { get; } = inVm;

    public List<PodSample> Samples { get; } = [];

    public string? Error { get; set; }

    public bool HasSamples => Samples.Count > 0;

    /// Whether some sample has <paramref name="phase"/> (containerd's process timestamps can be missing).
    public bool Has(string phase) => Samples.Any(s => s.PhaseSeconds.ContainsKey(phase));

    public double Median(string phase) => Statistics.Median(Values(phase));

    public double Min(string phase) => Values(phase).Min();

    public double Max(string phase) => Values(phase).Max();

    private IEnumerable<double> Values(string phase) =>
        Samples.Where(s => s.PhaseSeconds.ContainsKey(phase)).Select(s => s.PhaseSeconds[phase]);
}
