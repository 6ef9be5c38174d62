using System.CommandLine;
using GuestPull.Bench.Common;
using GuestPull.Bench.Pull.Reporting;

namespace GuestPull.Bench.Pull;

internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var repository = RepositoryRoot.Find();
        var cache = new Option<string>("--cache")
        {
            Description = "where the benchmark image (and the debootstrap root it starts from) is built once and kept",
            HelpName = "DIR",
            DefaultValueFactory = _ => "/var/tmp/guestpull-bench",
        };
        var runs = new Option<int>("--runs")
        {
            Description = "timed pulls per contender (the median is reported)",
            HelpName = "N",
            DefaultValueFactory = _ => 5,
        };
        var guestPull = new Option<string>("--guestpull")
        {
            Description = "the guestpull executable to measure (default: artifacts/bin/guestpull of this repository, as ./build.sh makes it)",
            HelpName = "PATH",
            DefaultValueFactory = _ => Path.Combine(repository ?? ".", "artifacts", "bin", "guestpull"),
        };
        var results = new Option<string>("--results")
        {
            Description = "where to write the JSON results",
            HelpName = "FILE",
            DefaultValueFactory = _ => Path.Combine(repository ?? ".", "bench", "Pull", "results", "latest.json"),
        };
        var flatten = new Option<bool>("--flatten")
        {
            Description = "time guestpull with --flatten bundles (a plain directory instead of an overlay mount)",
        };
        var mirror = new Option<string>("--mirror")
        {
            Description = "Debian mirror for debootstrap",
            HelpName = "URL",
            DefaultValueFactory = _ => "http://deb.debian.org/debian",
        };
        var rebuild = new Option<bool>("--rebuild-image")
        {
            Description = "rebuild the cached image (the debootstrap root is kept)",
        };
        var timeout = new Option<int>("--run-timeout")
        {
            Description = "seconds before a single pull is killed",
            HelpName = "SECONDS",
            DefaultValueFactory = _ => 900,
        };

        var tmpfs = new Option<string?>("--tmpfs")
        {
            Description = "put every run's files (registry storage, stores, bundles, containerd roots) on a tmpfs of this size, e.g. 6g, as in a guest whose disk is RAM",
            HelpName = "SIZE",
        };

        var root = new RootCommand("bench/pull: guestpull cold and warm pull to a bundle vs `ctr image pull` (containerd 1.6, overlayfs) and `skopeo copy` + `umoci unpack`")
        {
            cache, runs, guestPull, results, flatten, mirror, rebuild, timeout, tmpfs,
        };
        root.SetAction(async (parse, cancellationToken) =>
        {
            var settings = new BenchSettings(
                parse.GetValue(cache)!,
                parse.GetValue(runs),
                Path.GetFullPath(parse.GetValue(guestPull)!),
                Path.GetFullPath(parse.GetValue(results)!),
                parse.GetValue(flatten),
                parse.GetValue(mirror)!,
                parse.GetValue(rebuild),
                TimeSpan.FromSeconds(parse.GetValue(timeout)),
                parse.GetValue(tmpfs));
            return await RunAsync(settings, cancellationToken).ConfigureAwait(false);
        });
        return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
    }

    private static async Task<int> RunAsync(BenchSettings settings, CancellationToken cancellationToken)
    {
        if (settings.Runs < 1)
        {
            await Console.Error.WriteLineAsync("--runs must be at least 1.").ConfigureAwait(false);
            return 2;
        }

        if (!File.Exists(settings.GuestPullPath))
        {
            await Console.Error.WriteLineAsync($"guestpull executable not found at {settings.GuestPullPath}; run ./build.sh or pass --guestpull.").ConfigureAwait(false);
            return 2;
        }

        if (Environment.UserName != "root")
        {
            await Console.Error.WriteLineAsync("bench/pull needs root (containerd, overlay mounts, umoci unpack with real ownership).").ConfigureAwait(false);
            return 2;
        }

        var report = await new PullBenchmark(settings, Console.Out).RunAsync(cancellationToken).ConfigureAwait(false);
        Console.WriteLine();
        Console.Write(ReportPrinter.Render(report));
        await ResultsWriter.WriteAsync(report, settings.ResultsPath, cancellationToken).ConfigureAwait(false);
        Console.WriteLine($"results: {settings.ResultsPath}");
        return report.AllPassed ? 0 : 1;
    }
}
