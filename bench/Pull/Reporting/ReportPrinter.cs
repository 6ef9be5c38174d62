using System.Globalization;
using System.Text;
using GuestPull.Bench.Common;

namespace GuestPull.Bench.Pull.Reporting;

/// Renders the report as plain text (fit for a terminal, a CI log or an issue note).
internal static class ReportPrinter
{
    public static string Render(BenchReport report)
    {
        var text = new StringBuilder();
        var image = report.Image;
        text.AppendLine(Invariant($"bench/pull — {report.StartedAt:yyyy-MM-dd HH:mm} UTC, {report.Machine}, load average {report.LoadAtStart:F1} at start and {report.LoadAtEnd:F1} at end"));
        text.AppendLine(Invariant($"image {report.Reference}: {image.Layers.Count} gzip layers, {image.CompressedBytes / BenchReport.MegaByte:F1} MB compressed, {image.UncompressedBytes / BenchReport.MegaByte:F1} MB uncompressed"));
        text.AppendLine(Invariant($"runs per contender: {report.Runs} (median/min/max wall seconds; peak RSS = highest over the runs; MB = 10^6 bytes){(report.Flatten ? "; guestpull bundles flattened" : string.Empty)}; files on {report.Scratch}"));
        text.AppendLine();

        var rows = new List<string[]> { new[] { "contender", "median s", "min s", "max s", "peak RSS MB", "CPU s (median)" } };
        foreach (var tool in report.Tools)
        {
            rows.Add(tool.HasSamples
                ? [tool.Name, F(tool.MedianSeconds, 3), F(tool.MinSeconds, 3), F(tool.MaxSeconds, 3), F(tool.PeakRssBytes / BenchReport.MegaByte, 1), F(tool.MedianCpuSeconds, 2)]
                : [tool.Name, "failed", "-", "-", "-", "-"]);
        }

        TextTable.Append(text, rows);
        text.AppendLine();
        text.AppendLine(Invariant($"ratio guestpull-cold / containerd:   {Ratio(report.ColdVsContainerd)}"));
        text.AppendLine(Invariant($"ratio guestpull-cold / skopeo+umoci: {Ratio(report.ColdVsSkopeoUmoci)}"));
        text.AppendLine();

        var targets = new List<string[]> { new[] { "target", "limit", "actual", "" } };
        foreach (var target in report.Targets)
        {
            targets.Add([target.Name, $"≤ {F(target.Limit, 2)} {target.Unit}", target.Actual is { } actual ? $"{F(actual, 3)} {target.Unit}" : "-", target.Verdict]);
        }

        TextTable.Append(text, targets);
        text.AppendLine();
        foreach (var tool in report.Tools)
        {
            text.AppendLine(Invariant($"{tool.Name}: {tool.Description}"));
            if (tool.Error is not null)
            {
                text.AppendLine(Invariant($"  FAILED: {tool.Error}"));
            }
        }

        return text.ToString();
    }

    private static string Ratio(double? ratio) => ratio is { } value ? F(value, 3) + "×" : "n/a";

    private static string F(double value, int decimals) => value.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
