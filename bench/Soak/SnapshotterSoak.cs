using System.Diagnostics;
using System.Globalization;
using Grpc.Core;
using GuestPull.Api.Containerd.Snapshots.V1;
using GuestPull.Api.Grpc;
using GuestPull.Linux;

namespace GuestPull.Bench.Soak;

/// <summary>
/// `guestpull snapshotter` (overlayfs driver, fresh root) as its own process, driven by CLIENTS concurrent
/// gRPC clients for DURATION, each cycling Prepare on a committed parent, Mounts, Commit, Stat and Remove.
/// The footprint is read once warm (after the warm-up) and at the end, after the clients stop.
/// </summary>
internal static class SnapshotterSoak
{
    private const string Parent = "soak/base";

    public static async Task<int> RunAsync(string guestpull, int clients, TimeSpan duration, TimeSpan warmup, CancellationToken cancellationToken)
    {
        var directory = Directory.CreateTempSubdirectory("guestpull-soak-snapshotter-").FullName;
        try
        {
            var root = Path.Combine(directory, "root");
            var socket = Path.Combine(directory, "snapshotter.sock");
            await using var daemon = DaemonProcess.Start(guestpull, ["snapshotter", "--root", root, "--address", socket, "--fs-driver", "overlayfs", "--log-level", "warn"]);
            await daemon.WaitForSocketAsync(socket, cancellationToken).ConfigureAwait(false);
            using var channel = UnixSocketChannel.Create(socket);
            var client = new Snapshots.SnapshotsClient(channel);
            await client.PrepareAsync(new PrepareSnapshotRequest { Key = "soak/base-active" }, cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
            await client.CommitAsync(new CommitSnapshotRequest { Key = "soak/base-active", Name = Parent }, cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"snapshotter soak: {clients} clients for {duration.TotalSeconds:0} s after a {warmup.TotalSeconds:0} s warm-up"));
            long cycles = 0;
            using var warm = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            warm.CancelAfter(warmup);
            await DriveAsync(client, clients, "warm", warm.Token, () => { }).ConfigureAwait(false);
            var start = Footprint.Read(daemon.Id, root);

            var clock = Stopwatch.StartNew();
            using var soak = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            soak.CancelAfter(duration);
            await DriveAsync(client, clients, "soak", soak.Token, () => Interlocked.Increment(ref cycles)).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            var end = Footprint.Read(daemon.Id, root);

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{cycles} cycles of 5 calls in {clock.Elapsed.TotalSeconds:0} s ({cycles * 5 / clock.Elapsed.TotalSeconds:0} calls/s)"));
            Console.WriteLine(Footprint.Report($"guestpull snapshotter (pid {daemon.Id})", start, end, 0.10));
            return daemon.HasExited ? 1 : 0;
        }
        finally
        {
            TreeRemover.Delete(directory);
        }
    }

    // Each client cycles on its own keys until the token ends; a cycle in progress then is left to finish
    // uncancelled, so no half-created snapshot stays behind to skew the end figures.
    private static Task DriveAsync(Snapshots.SnapshotsClient client, int clients, string phase, CancellationToken until, Action cycled) =>
        Task.WhenAll(Enumerable.Range(0, clients).Select(async worker =>
        {
            await Task.Yield();
            for (var i = 0; !until.IsCancellationRequested; i++)
            {
                var active = string.Create(CultureInfo.InvariantCulture, $"soak/{phase}/{worker}/{i}/active");
                var committed = string.Create(CultureInfo.InvariantCulture, $"soak/{phase}/{worker}/{i}/committed");
                await client.PrepareAsync(new PrepareSnapshotRequest { Key = active, Parent = Parent, Labels = { ["bench.guestpull.io/key"] = active } }).ResponseAsync.ConfigureAwait(false);
                await client.MountsAsync(new MountsRequest { Key = active }).ResponseAsync.ConfigureAwait(false);
                await client.CommitAsync(new CommitSnapshotRequest { Key = active, Name = committed }).ResponseAsync.ConfigureAwait(false);
                await client.StatAsync(new StatSnapshotRequest { Key = committed }).ResponseAsync.ConfigureAwait(false);
                await client.RemoveAsync(new RemoveSnapshotRequest { Key = committed }).ResponseAsync.ConfigureAwait(false);
                cycled();
            }
        }));
}
