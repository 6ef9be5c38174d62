using System.Globalization;
using GuestPull.Bench.Snapshotter.Pull;
using GuestPull.Bench.Snapshotter.Reporting;
using GuestPull.Bench.Snapshotter.Rpc;

namespace GuestPull.Bench.Snapshotter;

/// Runs both parts (the snapshots RPC figures, then the CRI pulls) and checks the targets in bench/Snapshotter/README.md. A
/// part that fails is reported as failed and its target missed; the other part still runs.
internal sealed class SnapshotterBenchmark(BenchSettings settings, TextWriter log)
{
    public const double StatP99LimitMilliseconds = 2;
    public const double PullRatioLimit = 0.10;

    public async Task<BenchReport> RunAsync(CancellationToken cancellationToken)
    {
        var startedAt = DateTimeOffset.UtcNow;
        var loadAtStart = LoadAverage();

        RpcResults? rpc = null;
        string? rpcError = null;
        try
        {
            rpc = await new RpcBenchmark(settings.Rpc, log).RunAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            rpcError = e.Message;
            await log.WriteLineAsync($"rpc: FAILED: {e}").ConfigureAwait(false);
        }

        PullResults? pull = null;
        string? pullError = settings.SkipPull ? "skipped (--skip-pull)" : null;
        if (!settings.SkipPull)
        {
            try
            {
                var image = await new BenchImageSource(settings.PullCacheDirectory, settings.ImageCacheDirectory, settings.BuildOwnImage, log)
                    .EnsureAsync(cancellationToken).ConfigureAwait(false);
                pull = await new CriPullBenchmark(settings.PullRuns, settings.PullTimeout, log).RunAsync(image, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                pullError = e.Message;
                await log.WriteLineAsync($"pull: FAILED: {e}").ConfigureAwait(false);
            }
        }

        var statSnapshots = settings.Rpc.StatSnapshots.ToString("N0", CultureInfo.InvariantCulture);
        TargetResult[] targets =
        [
            new($"Stat p99 with {statSnapshots} snapshots present", StatP99LimitMilliseconds, "ms", rpc?.StatWithSnapshotsPresent.P99Milliseconds),
            new("proxy pull / overlayfs pull (medians)", PullRatioLimit, "×", pull?.ProxyOverOverlayfs),
        ];
        return new BenchReport(startedAt, Machine(), loadAtStart, LoadAverage(), rpc, rpcError, pull, pullError, targets);
    }

    private static string Machine()
    {
        var kernel = File.Exists("/proc/sys/kernel/osrelease") ? File.ReadAllText("/proc/sys/kernel/osrelease").Trim() : "unknown kernel";
        return string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessorCount} cores, Linux {kernel}, .NET {Environment.Version}");
    }

    private static double LoadAverage()
    {
        try
        {
            var first = File.ReadAllText("/proc/loadavg").Split(' ')[0];
            return double.Parse(first, CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return double.NaN;
        }
    }
}
