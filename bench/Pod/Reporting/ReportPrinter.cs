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
        text.AppendLine();
        var verdict = report.TargetPass switch { true => "PASS", false => "MISS", null => "n/a" };
        var actual = report.Ratio is { } value ? F(value, 3) + "×" : "n/a (needs both contenders)";
        text.AppendLine(Invariant($"target: guestpull median / runc median, RunPodSandbox → container exit ≤ {F(PodReport.TargetRatio, 1)}×: {actual} {verdict}"));
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

    private static string F(double value, int decimals) => value.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
