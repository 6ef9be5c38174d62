using System.CommandLine;
using GuestPull.Bench.Common;
using GuestPull.Bench.Snapshotter.Reporting;
using GuestPull.Bench.Snapshotter.Rpc;

namespace GuestPull.Bench.Snapshotter;

internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var repository = RepositoryRoot.Find();
        var snapshots = IntOption("--snapshots", "snapshots taken through Prepare, Commit, Stat and Remove", 2000);
        var clients = IntOption("--clients", "concurrent callers in the Prepare/Commit/Stat/Remove phases", 4);
        var statSnapshots = IntOption("--stat-snapshots", "committed snapshots present while Stat latency is sampled", 1000);
        var statSamples = IntOption("--stat-samples", "sequential Stat calls sampled with --stat-snapshots present", 5000);
        var warmup = IntOption("--warmup", "untimed Prepare/Commit/Stat/Remove cycles before measuring", 200);
        var runs = IntOption("--runs", "timed CRI pulls per snapshotter (the median is reported)", 3);
        var pullTimeout = IntOption("--pull-timeout", "seconds before a single CRI PullImage is abandoned", 900);
        var pullCache = new Option<string>("--pull-cache")
        {
            Description = "bench/pull's cache; its image is reused when present",
            HelpName = "DIR",
            DefaultValueFactory = _ => "/var/tmp/guestpull-bench",
        };
        var imageCache = new Option<string>("--image-cache")
        {
            Description = "where this benchmark builds (once) and keeps its own image when bench/pull's is absent",
            HelpName = "DIR",
            DefaultValueFactory = _ => "/var/tmp/guestpull-bench-snapshotter",
        };
        var ownImage = new Option<bool>("--own-image")
        {
            Description = "ignore bench/pull's cache and use (or build) this benchmark's own image",
        };
        var skipPull = new Option<bool>("--skip-pull")
        {
            Description = "only the snapshots RPC part (the pull target is then reported as missed)",
        };
        var results = new Option<string>("--results")
        {
            Description = "where to write the JSON results",
            HelpName = "FILE",
            DefaultValueFactory = _ => Path.Combine(repository ?? ".", "bench", "Snapshotter", "results", "latest.json"),
        };

        var root = new RootCommand("bench/snapshotter: guestpull's snapshots RPC throughput and latency, and a CRI pull through its proxy driver vs containerd's overlayfs")
        {
            snapshots, clients, statSnapshots, statSamples, warmup, runs, pullTimeout, pullCache, imageCache, ownImage, skipPull, results,
        };
        root.SetAction(async (parse, cancellationToken) =>
        {
            var settings = new BenchSettings(
                new RpcSettings(parse.GetValue(snapshots), parse.GetValue(clients), parse.GetValue(statSnapshots), parse.GetValue(statSamples), parse.GetValue(warmup)),
                parse.GetValue(runs),
                TimeSpan.FromSeconds(parse.GetValue(pullTimeout)),
                Path.GetFullPath(parse.GetValue(pullCache)!),
                Path.GetFullPath(parse.GetValue(imageCache)!),
                parse.GetValue(ownImage),
                parse.GetValue(skipPull),
                Path.GetFullPath(parse.GetValue(results)!));
            return await RunAsync(settings, cancellationToken).ConfigureAwait(false);
        });
        return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
    }

    private static async Task<int> RunAsync(BenchSettings settings, CancellationToken cancellationToken)
    {
        var problem = Validate(settings);
        if (problem is not null)
        {
            await Console.Error.WriteLineAsync(problem).ConfigureAwait(false);
            return 2;
        }

        var report = await new SnapshotterBenchmark(settings, Console.Out).RunAsync(cancellationToken).ConfigureAwait(false);
        Console.WriteLine();
        Console.Write(ReportPrinter.Render(report));
        await ResultsWriter.WriteAsync(report, settings.ResultsPath, cancellationToken).ConfigureAwait(false);
        Console.WriteLine($"results: {settings.ResultsPath}");
        return report.AllPassed ? 0 : 1;
    }

    private static string? Validate(BenchSettings settings)
    {
        var rpc = settings.Rpc;
        if (rpc.Snapshots < 1 || rpc.Clients < 1 || rpc.StatSnapshots < 1 || rpc.StatSamples < 1 || rpc.WarmupCycles < 0)
        {
            return "--snapshots, --clients, --stat-snapshots and --stat-samples must be at least 1, --warmup at least 0.";
        }

        if (settings.PullRuns < 1 || settings.PullTimeout <= TimeSpan.Zero)
        {
            return "--runs and --pull-timeout must be at least 1.";
        }

        if (Environment.UserName != "root")
        {
            return "bench/snapshotter needs root (overlay snapshots, containerd, umoci unpack with real ownership).";
        }

        return null;
    }

    private static Option<int> IntOption(string name, string description, int defaultValue) => new(name)
    {
        Description = $"{description} (default {defaultValue})",
        HelpName = "N",
        DefaultValueFactory = _ => defaultValue,
    };
}
