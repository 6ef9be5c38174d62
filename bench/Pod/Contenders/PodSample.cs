namespace GuestPull.Bench.Pod.Contenders;

/// One timed run: seconds from the RunPodSandbox call to each of <see cref="Phases.All"/> (the
/// process timestamps are missing when containerd has none), and for a VM contender what was measured
/// in its pod afterwards.
internal sealed record PodSample(IReadOnlyDictionary<string, double> PhaseSeconds, VmFigures? Vm = null)
{
    public double Seconds => PhaseSeconds[Phases.Exited];

    /// The window in which the agent pulls the layers: containerd creates the task (the shim asks the
    /// agent to create the container, which pulls) inside CRI's StartContainer.
    public double PullSeconds => PhaseSeconds[Phases.Started] - PhaseSeconds[Phases.Created];
}
