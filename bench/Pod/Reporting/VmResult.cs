using GuestPull.Bench.Common.Image;
using GuestPull.Bench.Pod.Contenders;
using GuestPull.Linux.Virtualization;

namespace GuestPull.Bench.Pod.Reporting;

/// A VM contender's extra figures over its runs (medians of what each run measured) and the issue's
/// targets for them.
internal sealed class VmResult
{
    /// RunPodSandbox returned, under QEMU's software emulation.
    public const double SandboxLimitTcgSeconds = 4;

    /// RunPodSandbox returned, with KVM.
    public const double SandboxLimitKvmSeconds = 1;

    /// The agent's pull throughput over the guest's own wget | gzip -dc | sha256sum throughput.
    public const double PullOverBoundLimit = 0.5;

    /// The agent's resident set at rest, in MB.
    public const double AgentRssLimitMegabytes = 30;

    private readonly ContenderResult _contender;
    private readonly List<(PodSample Sample, VmFigures Vm)> _runs;

    public VmResult(ContenderResult contender, BenchImage image, KvmAvailability kvm)
    {
        _contender = contender;
        _runs = [.. contender.Samples.Where(s => s.Vm is not null).Select(s => (s, s.Vm!))];
        CompressedBytes = image.CompressedBytes;
        Accelerators = [.. _runs.Select(r => r.Vm.Accelerator).OfType<string>().Distinct().Order()];
        // The shim logs the accelerator it chose; only when no run's line was found does the host's KVM
        // probe (the rule the shim applies with accel = "auto") stand in, and the report says so.
        AcceleratorIsPredicted = Accelerators.Count == 0;
        var kvmRan = AcceleratorIsPredicted ? kvm.Usable : Accelerators.All(a => a == "kvm");
        SandboxLimitSeconds = kvmRan ? SandboxLimitKvmSeconds : SandboxLimitTcgSeconds;
    }

    public string Name => _contender.Name;

    public long CompressedBytes { get; }

    /// The accelerators the shim logged over the runs ("tcg", "kvm").
    public IReadOnlyList<string> Accelerators { get; }

    public bool AcceleratorIsPredicted { get; }

    public double SandboxLimitSeconds { get; }

    public double? SandboxSeconds => _contender.Has(Phases.Sandbox) ? _contender.Median(Phases.Sandbox) : null;

    public Summary? BootMilliseconds => Summarize(r => r.Vm.BootMilliseconds);

    /// Compressed bytes per second between CreateContainer returned and StartContainer returned.
    public Summary? PullBytesPerSecond => Summarize(r => CompressedBytes / r.Sample.PullSeconds);

    /// Compressed bytes per second of the in-guest wget | gzip -dc | sha256sum, layer after layer.
    public Summary? BoundBytesPerSecond => Summarize(r => r.Vm.BoundSeconds is { } s ? CompressedBytes / s : null);

    /// Per run, the agent's throughput over the bound measured in the same guest (= bound seconds / pull seconds).
    public Summary? PullOverBound => Summarize(r => r.Vm.BoundSeconds is { } s ? s / r.Sample.PullSeconds : null);

    public Summary? QemuRssBytes => Summarize(r => r.Vm.QemuRssBytes);

    public Summary? QemuPeakRssBytes => Summarize(r => r.Vm.QemuPeakRssBytes);

    public Summary? AgentRssBytes => Summarize(r => r.Vm.AgentRssBytes);

    public Summary? AgentPeakRssBytes => Summarize(r => r.Vm.AgentPeakRssBytes);

    /// Why figures are missing, each reason once.
    public IReadOnlyList<string> Problems => [.. _runs.SelectMany(r => r.Vm.Problems).Distinct()];

    public IEnumerable<TargetCheck> Targets()
    {
        var accelerator = AcceleratorIsPredicted ? "predicted by KvmProbe" : string.Join("/", Accelerators);
        yield return new TargetCheck($"{Name}: RunPodSandbox returned, median seconds ({accelerator})", true, SandboxLimitSeconds, " s", SandboxSeconds);
        yield return new TargetCheck($"{Name}: agent's pull throughput / in-guest wget|gzip|sha256sum bound, median", false, PullOverBoundLimit, "×", PullOverBound?.Median);
        yield return new TargetCheck($"{Name}: agent's RSS at rest (VmRSS), median MB", true, AgentRssLimitMegabytes, " MB", AgentRssBytes?.Median / PodReport.MegaByte);
    }

    private Summary? Summarize(Func<(PodSample Sample, VmFigures Vm), double?> figure)
    {
        var values = _runs.Select(figure).OfType<double>().ToList();
        return values.Count == 0 ? null : new Summary(Statistics.Median(values), values.Min(), values.Max(), values.Count);
    }

    /// Median, min and max over the runs that have the figure.
    internal sealed record Summary(double Median, double Min, double Max, int Count);
}
