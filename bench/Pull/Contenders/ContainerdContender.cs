using System.Globalization;
using GuestPull.Bench.Pull.Measurement;
using GuestPull.Testing.Containerd;

namespace GuestPull.Bench.Pull.Contenders;

/// `ctr image pull --plain-http` into a private containerd 1.6 with a fresh root per run; the pull
/// includes unpacking into the overlayfs snapshotter. The daemon's start is not timed.
internal sealed class ContainerdContender(BenchContext context) : IContender
{
    private const string Namespace = "bench";

    public string Name => "containerd";

    public string Description =>
        "ctr -n bench image pull --plain-http (overlayfs snapshotter, fresh containerd root per run); " +
        "RSS: containerd daemon's VmHWM growth during the pull (peak reset via clear_refs) + ctr's ru_maxrss";

    public Task PrepareAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task<Sample> RunOnceAsync(int run, CancellationToken cancellationToken)
    {
        await using var containerd = await ContainerdInstance.StartAsync(new ContainerdOptions { LogLevel = "warn" }, cancellationToken).ConfigureAwait(false);
        var status = $"/proc/{containerd.ProcessId}/status";
        var baseline = await ReadStatusBytesAsync(status, "VmRSS:", cancellationToken).ConfigureAwait(false);
        // "5" resets the peak RSS (VmHWM) to the current RSS, so VmHWM afterwards is the peak of this pull.
        await File.WriteAllTextAsync($"/proc/{containerd.ProcessId}/clear_refs", "5", cancellationToken).ConfigureAwait(false);

        var measurement = await MeteredProcess.RunAsync(
            "ctr",
            ["--address", containerd.GrpcAddress, "--namespace", Namespace, "image", "pull", "--plain-http", "--snapshotter", "overlayfs", context.Reference],
            context.LogDirectory,
            null,
            context.RunTimeout,
            cancellationToken).ConfigureAwait(false);
        var daemonPeak = await ReadStatusBytesAsync(status, "VmHWM:", cancellationToken).ConfigureAwait(false);
        var daemonCpu = await ReadDaemonCpuSecondsAsync(containerd.ProcessId, cancellationToken).ConfigureAwait(false);
        await measurement.EnsureSucceededAsync(cancellationToken).ConfigureAwait(false);

        var growth = Math.Max(0, daemonPeak - baseline);
        return new Sample(
            measurement.Elapsed.TotalSeconds,
            growth + measurement.PeakRssBytes,
            (measurement.UserCpu + measurement.SystemCpu).TotalSeconds + daemonCpu,
            new Dictionary<string, double>
            {
                ["daemonRssBeforeBytes"] = baseline,
                ["daemonPeakRssBytes"] = daemonPeak,
                ["ctrPeakRssBytes"] = measurement.PeakRssBytes,
            });
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static async Task<long> ReadStatusBytesAsync(string statusPath, string field, CancellationToken cancellationToken)
    {
        foreach (var line in await File.ReadAllLinesAsync(statusPath, cancellationToken).ConfigureAwait(false))
        {
            if (line.StartsWith(field, StringComparison.Ordinal))
            {
                var kilobytes = line[field.Length..].Trim().Split(' ')[0];
                return long.Parse(kilobytes, CultureInfo.InvariantCulture) * 1024;
            }
        }

        throw new InvalidOperationException($"{statusPath} has no {field} line.");
    }

    // utime + stime of the daemon since it started: start-up is small next to a pull of hundreds of MB.
    private static async Task<double> ReadDaemonCpuSecondsAsync(int pid, CancellationToken cancellationToken)
    {
        var stat = await File.ReadAllTextAsync($"/proc/{pid}/stat", cancellationToken).ConfigureAwait(false);
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // After the command name: field 14 (utime) and 15 (stime) of proc(5) are at 11 and 12 here.
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return ticks / 100.0;
    }
}
