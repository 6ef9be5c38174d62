using System.CommandLine;
using GuestPull.Bench.Common;
using GuestPull.Bench.Pod.Contenders;
using GuestPull.Bench.Pod.Reporting;

namespace GuestPull.Bench.Pod;

internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var repository = RepositoryRoot.Find();
        var runs = new Option<int>("--runs")
        {
            Description = "cold runs per contender, interleaved (the median is reported)",
            HelpName = "N",
            DefaultValueFactory = _ => 5,
        };
        var guestPull = new Option<string>("--guestpull")
        {
            Description = "the guestpull executable the nodes run as snapshotter and shim (default: artifacts/bin/guestpull of this repository, as ./build.sh makes it)",
            HelpName = "PATH",
            DefaultValueFactory = _ => Path.Combine(repository ?? ".", "artifacts", "bin", "guestpull"),
        };
        var guestImage = new Option<string?>("--guest-image")
        {
            Description = "the guest image directory (vmlinux, initramfs.cpio.gz) the guestpull-vm node's shim boots (default: guest/ next to the guestpull executable, as ./build.sh and an install lay it out)",
            HelpName = "DIR",
        };
        var contenders = new Option<string[]>("--contender")
        {
            Description = $"run only these contenders (repeatable; default: {string.Join(", ", ContenderSpec.Names)})",
            HelpName = "NAME",
            AllowMultipleArgumentsPerToken = true,
        };
        contenders.AcceptOnlyFromAmong([.. ContenderSpec.Names]);
        var results = new Option<string>("--results")
        {
            Description = "where to write the JSON results",
            HelpName = "FILE",
            DefaultValueFactory = _ => Path.Combine(repository ?? ".", "bench", "Pod", "results", "latest.json"),
        };
        var cache = new Option<string>("--cache")
        {
            Description = "where bench/pull's realistic image (and the debootstrap root it starts from) is built once and kept",
            HelpName = "DIR",
            DefaultValueFactory = _ => "/var/tmp/guestpull-bench",
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
            Description = "seconds before a single run (RunPodSandbox to exit, then guestpull-vm's measurements in the pod) is abandoned",
            HelpName = "SECONDS",
            DefaultValueFactory = _ => 900,
        };

        var tmpfs = new Option<string?>("--tmpfs")
        {
            Description = "put the nodes' files (registry storage, containerd roots, so runc's unpacked layers) on a tmpfs of this size, e.g. 4g, as guestpull's agent pulls into RAM",
            HelpName = "SIZE",
        };

        var root = new RootCommand("bench/pod: RunPodSandbox → container exit for bench/pull's realistic image, the guestpull runtime (image pulled in the sandbox: a namespace sandbox, or a QEMU VM) vs runc with containerd's overlayfs")
        {
            runs, guestPull, guestImage, contenders, results, cache, mirror, rebuild, timeout, tmpfs,
        };
        root.SetAction(async (parse, cancellationToken) =>
        {
            var chosen = parse.GetValue(contenders) is { Length: > 0 } names ? names.Distinct().ToArray() : [.. ContenderSpec.Names];
            var guestPullPath = Path.GetFullPath(parse.GetValue(guestPull)!);
            var settings = new BenchSettings(
                parse.GetValue(cache)!,
                parse.GetValue(runs),
                guestPullPath,
                Path.GetFullPath(parse.GetValue(guestImage) ?? DefaultGuestImage(guestPullPath)),
                Path.GetFullPath(parse.GetValue(results)!),
                parse.GetValue(mirror)!,
                parse.GetValue(rebuild),
                TimeSpan.FromSeconds(parse.GetValue(timeout)),
                chosen,
                parse.GetValue(tmpfs));
            return await RunAsync(settings, cancellationToken).ConfigureAwait(false);
        });
        return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
    }

    /// guest/ next to the guestpull executable, links resolved: where the shim itself looks by default
    /// (next to the running binaries), so artifacts/bin/guest for the build tree's artifacts/bin/guestpull.
    private static string DefaultGuestImage(string guestPullPath)
    {
        var target = File.Exists(guestPullPath) ? new FileInfo(guestPullPath).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? guestPullPath : guestPullPath;
        return Path.Combine(Path.GetDirectoryName(target)!, "guest");
    }

    private static async Task<int> RunAsync(BenchSettings settings, CancellationToken cancellationToken)
    {
        if (settings.Runs < 1)
        {
            await Console.Error.WriteLineAsync("--runs must be at least 1.").ConfigureAwait(false);
            return 2;
        }

        // Every node runs it: the guestpull nodes as snapshotter and shim, the runc node as its (unused) proxy snapshotter.
        if (!File.Exists(settings.GuestPullPath))
        {
            await Console.Error.WriteLineAsync($"guestpull executable not found at {settings.GuestPullPath}; run ./build.sh or pass --guestpull.").ConfigureAwait(false);
            return 2;
        }

        if (settings.Contenders.Contains(ContenderSpec.GuestPullVm)
            && new[] { "vmlinux", "initramfs.cpio.gz" }.FirstOrDefault(f => !File.Exists(Path.Combine(settings.GuestImageDirectory, f))) is { } missing)
        {
            await Console.Error.WriteLineAsync($"guest image incomplete: {Path.Combine(settings.GuestImageDirectory, missing)} is missing; run ./build.sh or pass --guest-image.").ConfigureAwait(false);
            return 2;
        }

        if (Environment.UserName != "root")
        {
            await Console.Error.WriteLineAsync("bench/pod needs root (containerd, runc, overlay mounts, namespaces).").ConfigureAwait(false);
            return 2;
        }

        var report = await new PodBenchmark(settings, Console.Out).RunAsync(cancellationToken).ConfigureAwait(false);
        Console.WriteLine();
        Console.Write(ReportPrinter.Render(report));
        await ResultsWriter.WriteAsync(report, settings.ResultsPath, cancellationToken).ConfigureAwait(false);
        Console.WriteLine($"results: {settings.ResultsPath}");
        return report.AllPassed ? 0 : 1;
    }
}
