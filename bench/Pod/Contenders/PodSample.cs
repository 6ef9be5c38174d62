namespace GuestPull.Bench.Pod.Contenders;

/// One timed run: seconds from the RunPodSandbox call to each of <see cref="Phases.All"/> (the
/// process timestamps are missing when containerd has none).
internal sealed record PodSample(IReadOnlyDictionary<string, double> PhaseSeconds)
{
    public double Seconds => PhaseSeconds[Phases.Exited];
}
