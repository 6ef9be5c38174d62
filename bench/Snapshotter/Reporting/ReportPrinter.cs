using System.Globalization;
using System.Text;
using GuestPull.Bench.Common;
using GuestPull.Bench.Snapshotter.Pull;

namespace GuestPull.Bench.Snapshotter.Reporting;

/// Renders the report as plain text (fit for a terminal, a CI log or an issue note).
internal static class ReportPrinter
{
    public static string Render(BenchReport report)
    {
        var text = new StringBuilder();
        text.AppendLine(Invariant($"bench/snapshotter — {report.StartedAt:yyyy-MM-dd HH:mm} UTC, {report.Machine}, load average {report.LoadAtStart:F1} at start and {report.LoadAtEnd:F1} at end"));
        text.AppendLine();
        AppendRpc(text, report);
        text.AppendLine();
        AppendPull(text, report);
        text.AppendLine();

        var targets = new List<string[]> { new[] { "target", "limit", "actual", "" } };
        foreach (var target in report.Targets)
        {
            targets.Add([target.Name, $"≤ {F(target.Limit, 2)} {target.Unit}", target.Actual is { } actual ? $"{F(actual, 3)} {target.Unit}" : "-", target.Verdict]);
        }

        TextTable.Append(text, targets);
        return text.ToString();
    }

    private static void AppendRpc(StringBuilder text, BenchReport report)
    {
        if (report.Rpc is not { } rpc)
        {
            text.AppendLine(Invariant($"snapshots RPC: not measured: {report.RpcError}"));
            return;
        }

        var settings = rpc.Settings;
        text.AppendLine(Invariant($"snapshots RPC over the unix socket (overlayfs driver, fresh root): {settings.Snapshots} snapshots on one committed parent, {settings.Clients} concurrent client(s), one phase per call type"));
        var rows = new List<string[]> { new[] { "call", "calls", "calls/s", "p50 ms", "p99 ms", "max ms" } };
        foreach (var call in rpc.Calls)
        {
            rows.Add([call.Name, call.Count.ToString(CultureInfo.InvariantCulture), F(call.CallsPerSecond, 0), F(call.P50Milliseconds, 3), F(call.P99Milliseconds, 3), F(call.MaxMilliseconds, 3)]);
        }

        var stat = rpc.StatWithSnapshotsPresent;
        rows.Add([Invariant($"Stat, {settings.StatSnapshots} present, 1 client"), stat.Count.ToString(CultureInfo.InvariantCulture), F(stat.CallsPerSecond, 0), F(stat.P50Milliseconds, 3), F(stat.P99Milliseconds, 3), F(stat.MaxMilliseconds, 3)]);
        TextTable.Append(text, rows);
        text.AppendLine(Invariant($"whole cycles (Prepare+Commit+Stat+Remove): {rpc.CyclesPerSecond:F0} snapshots/s"));
    }

    private static void AppendPull(StringBuilder text, BenchReport report)
    {
        if (report.Pull is not { } pull)
        {
            text.AppendLine(Invariant($"CRI PullImage: not measured: {report.PullError}"));
            return;
        }

        var image = pull.Image;
        text.AppendLine(Invariant($"CRI PullImage of {pull.Reference} through containerd 1.6 ({image.LayerDigests.Count} layers, {image.CompressedBytes / BenchReport.MegaByte:F1} MB compressed, {image.UncompressedBytes / BenchReport.MegaByte:F1} MB uncompressed)"));
        text.AppendLine(Invariant($"image from {image.Source}; {pull.Runs} run(s) each, fresh containerd root per run; MB = 10^6 bytes"));
        var rows = new List<string[]> { new[] { "snapshotter", "median s", "min s", "max s", "layer blobs served/run", "committed snapshots" } };
        foreach (var contender in new[] { PullContender.GuestPullProxy, PullContender.ContainerdOverlayfs })
        {
            var samples = pull.Of(contender);
            rows.Add(
            [
                CriPullBenchmark.Describe(contender),
                F(pull.Median(contender), 3),
                F(samples.Min(sample => sample.Seconds), 3),
                F(samples.Max(sample => sample.Seconds), 3),
                string.Join('/', samples.Select(sample => sample.LayerBlobGets).Distinct()),
                samples[0].Snapshots is null ? "-" : string.Join('/', samples.Select(sample => sample.Snapshots).Distinct()),
            ]);
        }

        TextTable.Append(text, rows);
        text.AppendLine(Invariant($"ratio guestpull proxy / containerd overlayfs: {pull.ProxyOverOverlayfs:F3}"));
    }

    private static string F(double value, int decimals) => value.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
