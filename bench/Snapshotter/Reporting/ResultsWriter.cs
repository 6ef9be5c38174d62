using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using GuestPull.Bench.Snapshotter.Measurement;
using GuestPull.Bench.Snapshotter.Pull;

namespace GuestPull.Bench.Snapshotter.Reporting;

/// Writes the report as JSON (milliseconds, seconds and bytes, unrounded) for comparison between commits.
internal static class ResultsWriter
{
    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true };

    public static async Task WriteAsync(BenchReport report, string path, CancellationToken cancellationToken)
    {
        var root = new JsonObject
        {
            ["benchmark"] = "bench/snapshotter",
            ["startedAt"] = report.StartedAt.ToString("O", CultureInfo.InvariantCulture),
            ["machine"] = report.Machine,
            ["loadAverageAtStart"] = report.LoadAtStart,
            ["loadAverageAtEnd"] = report.LoadAtEnd,
            ["rpc"] = Rpc(report),
            ["pull"] = Pull(report),
            ["targets"] = Targets(report),
            ["allPassed"] = report.AllPassed,
        };

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        await File.WriteAllTextAsync(path, root.ToJsonString(Options) + "\n", cancellationToken).ConfigureAwait(false);
    }

    private static JsonObject Rpc(BenchReport report)
    {
        if (report.Rpc is not { } rpc)
        {
            return new JsonObject { ["error"] = report.RpcError };
        }

        var calls = new JsonObject();
        foreach (var call in rpc.Calls)
        {
            calls[call.Name] = Summary(call);
        }

        return new JsonObject
        {
            ["driver"] = "overlayfs",
            ["snapshots"] = rpc.Settings.Snapshots,
            ["clients"] = rpc.Settings.Clients,
            ["warmupCycles"] = rpc.Settings.WarmupCycles,
            ["calls"] = calls,
            ["cyclesPerSecond"] = rpc.CyclesPerSecond,
            ["statWithSnapshotsPresent"] = new JsonObject
            {
                ["snapshotsPresent"] = rpc.Settings.StatSnapshots,
                ["summary"] = Summary(rpc.StatWithSnapshotsPresent),
            },
        };
    }

    private static JsonObject Summary(LatencySummary summary) => new()
    {
        ["count"] = summary.Count,
        ["clients"] = summary.Clients,
        ["wallSeconds"] = summary.WallSeconds,
        ["callsPerSecond"] = summary.CallsPerSecond,
        ["meanMilliseconds"] = summary.MeanMilliseconds,
        ["p50Milliseconds"] = summary.P50Milliseconds,
        ["p99Milliseconds"] = summary.P99Milliseconds,
        ["maxMilliseconds"] = summary.MaxMilliseconds,
    };

    private static JsonObject Pull(BenchReport report)
    {
        if (report.Pull is not { } pull)
        {
            return new JsonObject { ["error"] = report.PullError };
        }

        var contenders = new JsonObject();
        foreach (var contender in new[] { PullContender.GuestPullProxy, PullContender.ContainerdOverlayfs })
        {
            var samples = new JsonArray();
            foreach (var sample in pull.Of(contender))
            {
                samples.Add(new JsonObject
                {
                    ["run"] = sample.Run,
                    ["seconds"] = sample.Seconds,
                    ["layerBlobGets"] = sample.LayerBlobGets,
                    ["blobGets"] = sample.BlobGets,
                    ["committedSnapshots"] = sample.Snapshots,
                });
            }

            contenders[CriPullBenchmark.Describe(contender)] = new JsonObject
            {
                ["medianSeconds"] = pull.Median(contender),
                ["samples"] = samples,
            };
        }

        return new JsonObject
        {
            ["reference"] = pull.Reference,
            ["runs"] = pull.Runs,
            ["image"] = new JsonObject
            {
                ["source"] = pull.Image.Source,
                ["layout"] = pull.Image.LayoutDirectory,
                ["tag"] = pull.Image.Tag,
                ["layers"] = new JsonArray([.. pull.Image.LayerDigests.Select(digest => (JsonNode)JsonValue.Create(digest))]),
                ["compressedBytes"] = pull.Image.CompressedBytes,
                ["uncompressedBytes"] = pull.Image.UncompressedBytes,
            },
            ["contenders"] = contenders,
            ["proxyOverOverlayfs"] = pull.ProxyOverOverlayfs,
        };
    }

    private static JsonArray Targets(BenchReport report)
    {
        var targets = new JsonArray();
        foreach (var target in report.Targets)
        {
            targets.Add(new JsonObject
            {
                ["name"] = target.Name,
                ["unit"] = target.Unit,
                ["limit"] = target.Limit,
                ["actual"] = target.Actual,
                ["pass"] = target.Pass,
            });
        }

        return targets;
    }
}
