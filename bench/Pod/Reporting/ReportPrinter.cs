using System.Globalization;
using System.Text;
using GuestPull.Bench.Common;
using GuestPull.Bench.Pod.Contenders;

namespace GuestPull.Bench.Pod.Reporting;

/// Renders the report as plain text (fit for a terminal, a CI log or an issue note).
internal static class ReportPrinter
{
    public static string Render(PodReport report)
    {
        var text = new StringBuilder();
        var image = report.Image;
        text.AppendLine(Invariant($"bench/pod — {report.StartedAt:yyyy-MM-dd HH:mm} UTC, {report.Machine}, load average {report.LoadAtStart:F1} at start and {report.LoadAtEnd:F1} at end"));
        text.AppendLine(Invariant($"image: {image.Layers.Count} gzip layers, {image.CompressedBytes / PodReport.MegaByte:F1} MB compressed, {image.UncompressedBytes / PodReport.MegaByte:F1} MB uncompressed; container: {report.Probe}"));
        text.AppendLine(Invariant($"runs per contender: {report.Runs}, interleaved, each cold; seconds from the RunPodSandbox call (cumulative), median/min/max"));
        text.AppendLine(Invariant($"registry storage and containerd roots (runc's unpacked layers) on {report.Scratch}; guestpull's agent pulls into its sandbox's private tmpfs (the guest's memory)"));
        text.AppendLine();

        var header = new List<string> { "phase (seconds since RunPodSandbox)" };
        foreach (var contender in report.Contenders)
        {
            header.AddRange([$"{contender.Name} median", "min", "max"]);
        }

        header.Add("ratio guestpull/runc");
        var rows = new List<string[]> { header.ToArray() };
        foreach (var phase in Phases.All)
        {
            var row = new List<string> { Phases.Describe(phase) };
            foreach (var contender in report.Contenders)
            {
                row.AddRange(contender.Has(phase) ? [F(contender.Median(phase), 3), F(contender.Min(phase), 3), F(contender.Max(phase), 3)] : [contender.HasSamples ? "-" : "failed", "-", "-"]);
            }

            row.Add(report.RatioOf(phase) is { } ratio ? F(ratio, 2) + "×" : "n/a");
            rows.Add(row.ToArray());
        }

        TextTable.Append(text, rows);
        foreach (var vm in report.VmResults)
        {
            text.AppendLine();
            AppendVm(text, vm, report.Kvm);
        }

        text.AppendLine();
        if (!report.RatioTargetApplies)
        {
            text.AppendLine(Invariant($"target: guestpull median / runc median, RunPodSandbox → container exit ≤ {F(PodReport.TargetRatio, 1)}×: n/a (needs both contenders)"));
        }

        foreach (var target in report.Targets)
        {
            text.AppendLine("target: " + target.Describe(decimals: target.Unit == " MB" ? 1 : 2));
        }

        text.AppendLine();
        foreach (var contender in report.Contenders)
        {
            text.AppendLine(Invariant($"{contender.Name}: {contender.Description}"));
            if (contender.Error is not null)
            {
                text.AppendLine(Invariant($"  FAILED: {contender.Error}"));
            }
        }

        return text.ToString();
    }

    /// A VM contender's extra figures, median (min–max) over the runs that have them.
    private static void AppendVm(StringBuilder text, VmResult vm, GuestPull.Linux.Virtualization.KvmAvailability kvm)
    {
        text.AppendLine(Invariant($"{vm.Name}: figures of the pod's VM (KVM on this host: {(kvm.Usable ? "usable" : "not usable")}, {kvm.Reason})"));
        var accelerator = vm.AcceleratorIsPredicted ? $"unknown (no start line; KvmProbe predicts {(kvm.Usable ? "kvm" : "tcg")})" : string.Join(", ", vm.Accelerators);
        string Row(VmResult.Summary? summary, double scale, int decimals) =>
            summary is null ? "n/a" : $"{F(summary.Median * scale, decimals)} ({F(summary.Min * scale, decimals)}–{F(summary.Max * scale, decimals)})";
        var mb = 1 / PodReport.MegaByte;
        var sandbox = vm.SandboxSeconds is { } seconds ? F(seconds, 3) : "n/a";
        TextTable.Append(text,
        [
            ["figure", "median (min–max)"],
            ["accelerator (the shim's \"sandbox … started\" log line)", accelerator],
            ["QEMU started → agent answered, ms (the shim's figure)", Row(vm.BootMilliseconds, 1, 0)],
            [Invariant($"RunPodSandbox returned, s (target ≤ {F(vm.SandboxLimitSeconds, 0)} s)"), sandbox],
            [Invariant($"agent's pull, MB/s: {F(vm.CompressedBytes * mb, 1)} MB of gzip layers / (StartContainer − CreateContainer returned)"), Row(vm.PullBytesPerSecond, mb, 2)],
            ["in-guest bound, MB/s: busybox wget | gzip -dc | sha256sum, layer after layer", Row(vm.BoundBytesPerSecond, mb, 2)],
            [Invariant($"agent's pull / bound (target ≥ {F(VmResult.PullOverBoundLimit, 1)}×)"), Row(vm.PullOverBound, 1, 2)],
            ["QEMU VmRSS right before the pod is removed, MB", Row(vm.QemuRssBytes, mb, 1)],
            ["QEMU VmHWM (peak), MB", Row(vm.QemuPeakRssBytes, mb, 1)],
            [Invariant($"agent VmRSS at rest after the pull (guest PID 1), MB (target ≤ {F(VmResult.AgentRssLimitMegabytes, 0)} MB)"), Row(vm.AgentRssBytes, mb, 1)],
            ["agent VmHWM (peak, during the pull), MB", Row(vm.AgentPeakRssBytes, mb, 1)],
        ]);
        foreach (var problem in vm.Problems)
        {
            text.AppendLine($"  missing: {problem}");
        }
    }

    private static string F(double value, int decimals) => value.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
