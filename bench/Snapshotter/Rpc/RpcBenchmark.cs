using System.Diagnostics;
using System.Globalization;
using Grpc.Core;
using GuestPull.Api.Grpc;
using GuestPull.Bench.Snapshotter.Measurement;
using GuestPull.Snapshotter;
using GuestPull.Api.Containerd.Snapshots.V1;
using GuestPull.Testing;

namespace GuestPull.Bench.Snapshotter.Rpc;

/// Drives a snapshotter (overlayfs driver, fresh root in a temp dir, started in this process) through
/// its unix socket with the gRPC client containerd would use: every snapshot is Prepared on a common
/// committed parent, then Committed, then Stat'ed, then Removed, one phase per call type so each has
/// its own throughput; then Stat latency alone with a fixed number of committed snapshots present.
internal sealed class RpcBenchmark(RpcSettings settings, TextWriter log)
{
    private const string SnapshotterName = "guestpull";
    private const string ParentName = "bench/base";
    private static readonly TimeSpan CallTimeout = TimeSpan.FromMinutes(2);

    public async Task<RpcResults> RunAsync(CancellationToken cancellationToken)
    {
        using var directory = TempDirectory.Create("bench-snapshotter-rpc");
        await using var running = await SnapshotterHost.StartAsync(
            new SnapshotterOptions
            {
                Root = directory.Combine("root"),
                Address = directory.Combine("run", "snapshotter.sock"),
                FsDriver = "overlayfs",
                LogLevel = "warn",
            },
            cancellationToken).ConfigureAwait(false);
        using var channel = UnixSocketChannel.Create(running.Address);
        var client = new Snapshots.SnapshotsClient(channel);

        await PrepareAsync(client, "bench/base-active", string.Empty, cancellationToken).ConfigureAwait(false);
        await CommitAsync(client, ParentName, "bench/base-active", cancellationToken).ConfigureAwait(false);

        await log.WriteLineAsync(Invariant($"rpc: {settings.WarmupCycles} warm-up cycles")).ConfigureAwait(false);
        for (var i = 0; i < settings.WarmupCycles; i++)
        {
            await CycleAsync(client, $"warmup/{i}", cancellationToken).ConfigureAwait(false);
        }

        await log.WriteLineAsync(Invariant($"rpc: {settings.Snapshots} snapshots, {settings.Clients} concurrent client(s), one phase per call type")).ConfigureAwait(false);
        var total = Stopwatch.StartNew();
        var calls = new List<LatencySummary>
        {
            await PhaseAsync("Prepare", settings.Snapshots, settings.Clients,
                i => PrepareAsync(client, ActiveKey(i), ParentName, cancellationToken), cancellationToken).ConfigureAwait(false),
            await PhaseAsync("Commit", settings.Snapshots, settings.Clients,
                i => CommitAsync(client, CommittedName(i), ActiveKey(i), cancellationToken), cancellationToken).ConfigureAwait(false),
            await PhaseAsync("Stat", settings.Snapshots, settings.Clients,
                i => StatAsync(client, CommittedName(i), cancellationToken), cancellationToken).ConfigureAwait(false),
            await PhaseAsync("Remove", settings.Snapshots, settings.Clients,
                i => RemoveAsync(client, CommittedName(i), cancellationToken), cancellationToken).ConfigureAwait(false),
        };
        var cyclesPerSecond = settings.Snapshots / total.Elapsed.TotalSeconds;
        foreach (var call in calls)
        {
            await log.WriteLineAsync(Invariant($"rpc: {call.Name,-7} {call.CallsPerSecond,8:F0}/s  p50 {call.P50Milliseconds:F3} ms  p99 {call.P99Milliseconds:F3} ms")).ConfigureAwait(false);
        }

        await log.WriteLineAsync(Invariant($"rpc: committing {settings.StatSnapshots} snapshots (untimed), then {settings.StatSamples} sequential Stat calls")).ConfigureAwait(false);
        await PhaseAsync("Prepare (setup)", settings.StatSnapshots, settings.Clients,
            i => PrepareAsync(client, ActiveKey(i), ParentName, cancellationToken), cancellationToken).ConfigureAwait(false);
        await PhaseAsync("Commit (setup)", settings.StatSnapshots, settings.Clients,
            i => CommitAsync(client, CommittedName(i), ActiveKey(i), cancellationToken), cancellationToken).ConfigureAwait(false);
        // A fixed seed: every run Stat's the same sequence of snapshots.
        var random = new Random(4);
        var order = Enumerable.Range(0, settings.StatSamples).Select(_ => random.Next(settings.StatSnapshots)).ToArray();
        var statPresent = await PhaseAsync("Stat", settings.StatSamples, clients: 1,
            i => StatAsync(client, CommittedName(order[i]), cancellationToken), cancellationToken).ConfigureAwait(false);
        await log.WriteLineAsync(Invariant($"rpc: Stat with {settings.StatSnapshots} present: p50 {statPresent.P50Milliseconds:F3} ms  p99 {statPresent.P99Milliseconds:F3} ms")).ConfigureAwait(false);

        return new RpcResults(settings, calls, statPresent, cyclesPerSecond);
    }

    private static async Task<LatencySummary> PhaseAsync(string name, int count, int clients, Func<int, Task> call, CancellationToken cancellationToken)
    {
        // As benchmark harnesses do: garbage left by the previous phase is not charged to this one.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var samples = new LatencySamples();
        var next = -1;
        var wall = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, clients).Select(async _ =>
        {
            // Yield first so the workers really overlap instead of the first one running to the end.
            await Task.Yield();
            int index;
            while ((index = Interlocked.Increment(ref next)) < count)
            {
                cancellationToken.ThrowIfCancellationRequested();
                await samples.TimeAsync(() => call(index)).ConfigureAwait(false);
            }
        });
        await Task.WhenAll(workers).ConfigureAwait(false);
        return samples.Summarise(name, clients, wall.Elapsed);
    }

    private static async Task CycleAsync(Snapshots.SnapshotsClient client, string prefix, CancellationToken cancellationToken)
    {
        await PrepareAsync(client, prefix + "/active", ParentName, cancellationToken).ConfigureAwait(false);
        await CommitAsync(client, prefix + "/committed", prefix + "/active", cancellationToken).ConfigureAwait(false);
        await StatAsync(client, prefix + "/committed", cancellationToken).ConfigureAwait(false);
        await RemoveAsync(client, prefix + "/committed", cancellationToken).ConfigureAwait(false);
    }

    private static Task PrepareAsync(Snapshots.SnapshotsClient client, string key, string parent, CancellationToken cancellationToken) =>
        client.PrepareAsync(
            new PrepareSnapshotRequest
            {
                Snapshotter = SnapshotterName,
                Key = key,
                Parent = parent,
                // containerd labels what it prepares during an unpack; one label keeps that path exercised.
                Labels = { ["bench.guestpull.io/key"] = key },
            },
            Options(cancellationToken)).ResponseAsync;

    private static Task CommitAsync(Snapshots.SnapshotsClient client, string name, string key, CancellationToken cancellationToken) =>
        client.CommitAsync(new CommitSnapshotRequest { Snapshotter = SnapshotterName, Name = name, Key = key }, Options(cancellationToken)).ResponseAsync;

    private static async Task StatAsync(Snapshots.SnapshotsClient client, string key, CancellationToken cancellationToken)
    {
        var response = await client.StatAsync(new StatSnapshotRequest { Snapshotter = SnapshotterName, Key = key }, Options(cancellationToken)).ResponseAsync.ConfigureAwait(false);
        if (response.Info.Name != key || response.Info.Kind != Kind.Committed)
        {
            throw new InvalidOperationException($"Stat({key}) answered {response.Info.Name} of kind {response.Info.Kind}, not the committed snapshot asked for.");
        }
    }

    private static Task RemoveAsync(Snapshots.SnapshotsClient client, string key, CancellationToken cancellationToken) =>
        client.RemoveAsync(new RemoveSnapshotRequest { Snapshotter = SnapshotterName, Key = key }, Options(cancellationToken)).ResponseAsync;

    private static CallOptions Options(CancellationToken cancellationToken) =>
        new(deadline: DateTime.UtcNow + CallTimeout, cancellationToken: cancellationToken);

    private static string ActiveKey(int index) => Invariant($"bench/{index}/active");

    private static string CommittedName(int index) => Invariant($"bench/{index}/committed");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
