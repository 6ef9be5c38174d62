using System.Globalization;
using GuestPull.Bench.Common.Image;
using GuestPull.Bench.Pod.Contenders;
using GuestPull.Linux.Virtualization;

namespace GuestPull.Bench.Pod.Reporting;

/// Everything one run of the benchmark found, as printed and as written to JSON.
internal sealed class PodReport
{
    public const double MegaByte = 1000 * 1000;

    /// The issue's target: guestpull's median time to the container's exit at most this many times runc's.
    public const double TargetRatio = 1.5;

    public required DateTimeOffset StartedAt { get; init; }

    public required BenchImage Image { get; init; }

    public required int Runs { get; init; }

    /// The probe container's command.
    public required string Probe { get; init; }

    public required IReadOnlyList<ContenderResult> Contenders { get; init; }

    /// Where the nodes' files (registry storage, containerd roots) lived: the disk under TMPDIR or a tmpfs.
    public required string Scratch { get; init; }

    /// Whether KVM can run a guest on this host (the shim's rule for accel = "auto"): context for the VM's figures.
    public required KvmAvailability Kvm { get; init; }

    /// /proc/loadavg's 1-minute figure when the benchmark started; other work on the machine skews every timing.
    public required double LoadAtStart { get; init; }

    public double LoadAtEnd { get; } = ReadLoad();

    public string Machine { get; } = $"{Environment.ProcessorCount} CPUs, Linux {File.ReadAllText("/proc/sys/kernel/osrelease").Trim()}";

    /// guestpull's median over runc's for the time to the container's exit; null unless both ran.
    public double? Ratio => RatioOf(Phases.Exited);

    public bool? TargetPass => Ratio is { } ratio ? ratio <= TargetRatio : null;

    /// The VM contenders' extra figures.
    public IReadOnlyList<VmResult> VmResults => [.. Contenders.Where(c => c.InVm).Select(c => new VmResult(c, Image, Kvm))];

    /// Whether the guestpull/runc target applies: both contenders were chosen.
    public bool RatioTargetApplies => Find(ContenderSpec.GuestPull) is not null && Find(ContenderSpec.Runc) is not null;

    /// Every target the chosen contenders can be held to (the guestpull/runc ratio needs both of them).
    public IReadOnlyList<TargetCheck> Targets =>
    [
        .. RatioTargetApplies ? [new TargetCheck("guestpull median / runc median, RunPodSandbox → container exit", true, TargetRatio, "×", Ratio)] : Array.Empty<TargetCheck>(),
        .. VmResults.SelectMany(v => v.Targets()),
    ];

    /// Every chosen contender ran every run and every target that applies was measured and passed.
    public bool AllPassed => Contenders.All(c => c.Error is null) && Targets.All(t => t.Pass == true);

    public static double ReadLoad() =>
        double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);

    public ContenderResult? Find(string name) => Contenders.FirstOrDefault(c => c.Name == name);

    public double? RatioOf(string phase) =>
        Find(ContenderSpec.GuestPull) is { } guestPull && guestPull.Has(phase) && Find(ContenderSpec.Runc) is { } runc && runc.Has(phase)
            ? guestPull.Median(phase) / runc.Median(phase)
            : null;
}
