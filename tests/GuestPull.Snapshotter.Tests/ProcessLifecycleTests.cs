using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using Grpc.Core;
using GuestPull.Api.Containerd.Snapshots.V1;
using GuestPull.Testing;
using GuestPull.Testing.Traits;

namespace GuestPull.Snapshotter.Tests;

/// <summary>The snapshotter as its own process: readiness to systemd, SIGTERM, and kill -9 under load.</summary>
[Trait(Requires.Trait, Requires.Components)]
public sealed class ProcessLifecycleTests
{
    private const int SigKill = 9;
    private const int SigTerm = 15;

    [Fact]
    public async Task NotifiesSystemdReady_AndExitsCleanlyOnSigterm()
    {
        using var directory = TempDirectory.Create("snapshotter-sigterm");
        var notifyPath = directory.Combine("notify.sock");
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(notifyPath));
        var address = directory.Combine("run", "gp.sock");

        await using var process = await SnapshotterProcess.StartAsync(
            directory.Combine("root"), address, "proxy", new Dictionary<string, string?> { ["NOTIFY_SOCKET"] = notifyPath });
        var buffer = new byte[256];
        using (var wait = new CancellationTokenSource(TimeSpan.FromMinutes(1)))
        {
            var received = await notify.ReceiveAsync(buffer, SocketFlags.None, wait.Token);
            Assert.Contains("READY=1", Encoding.UTF8.GetString(buffer, 0, received), StringComparison.Ordinal);
        }

        process.Signal(SigTerm);
        using (var wait = new CancellationTokenSource(TimeSpan.FromMinutes(1)))
        {
            await process.Process.WaitForExitAsync(wait.Token);
        }
        Assert.Equal(0, process.Process.ExitCode);
        Assert.False(File.Exists(address), "the socket file was left behind");
    }

    [Fact]
    public async Task KillMinus9UnderLoad_ThenRestart_LosesNoCommittedSnapshot_AndLeavesNoOrphanDirectory()
    {
        using var directory = TempDirectory.Create("snapshotter-crash");
        var root = directory.Combine("root");
        var address = directory.Combine("run", "snapshotter.sock");
        var process = await SnapshotterProcess.StartAsync(root, address, "overlayfs");
        var committed = new ConcurrentDictionary<string, bool>();
        var acknowledged = 0;
        using (var channel = SnapshotterServer.CreateChannel(address))
        {
            var client = new Snapshots.SnapshotsClient(channel);
            await client.PrepareAsync(new PrepareSnapshotRequest { Key = "base-key" });
            await client.CommitAsync(new CommitSnapshotRequest { Key = "base-key", Name = "base" });
            committed["base"] = true;

            var workers = Enumerable.Range(0, 8).Select(worker => Task.Run(async () =>
            {
                for (var i = 0; ; i++)
                {
                    var name = $"w{worker}-{i}";
                    var deadline = DateTime.UtcNow.AddMinutes(1);
                    try
                    {
                        var mount = (await client.PrepareAsync(new PrepareSnapshotRequest { Key = "k-" + name, Parent = "base" }, deadline: deadline)).Mounts[0];
                        var upper = mount.Options.First(option => option.StartsWith("upperdir=", StringComparison.Ordinal))["upperdir=".Length..];
                        await File.WriteAllTextAsync(Path.Combine(upper, "file"), name);
                        await client.CommitAsync(new CommitSnapshotRequest { Key = "k-" + name, Name = name }, deadline: deadline);
                        committed[name] = true;
                        Interlocked.Increment(ref acknowledged);
                        if (i % 3 == 0)
                        {
                            committed.TryRemove(name, out _);
                            await client.RemoveAsync(new RemoveSnapshotRequest { Key = name }, deadline: deadline);
                        }
                    }
                    catch (Exception ex) when (ex is RpcException or IOException)
                    {
                        return;
                    }
                }
            })).ToArray();

            using (var wait = new CancellationTokenSource(TimeSpan.FromMinutes(3)))
            {
                while (Volatile.Read(ref acknowledged) < 150)
                {
                    Assert.False(workers.All(worker => worker.IsCompleted), "every worker stopped before the crash:\n" + process.Process.DescribeOutput());
                    await Task.Delay(TimeSpan.FromMilliseconds(10), wait.Token);
                }
            }
            process.Signal(SigKill);
            await process.Process.WaitForExitAsync(CancellationToken.None);
            await Task.WhenAll(workers);
        }
        await process.DisposeAsync();

        await using var restarted = await SnapshotterServer.StartAsync(SnapshotterDriver.Overlayfs, directory);
        var again = restarted.CreateClient();
        foreach (var name in committed.Keys)
        {
            var stat = await again.StatAsync(new StatSnapshotRequest { Key = name });
            Assert.Equal(Kind.Committed, stat.Info.Kind);
        }

        var all = new List<Info>();
        using (var call = again.List(new ListSnapshotsRequest()))
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
                all.AddRange(call.ResponseStream.Current.Info);
            }
        }
        // One directory per row: nothing orphaned, nothing missing.
        var snapshots = Path.Combine(restarted.Root, "snapshots");
        Assert.Equal(all.Count, Directory.EnumerateDirectories(snapshots).Count());
        foreach (var info in all.Where(info => info.Kind == Kind.Committed && info.Name != "base"))
        {
            // Committed layers still hold what was written before the commit.
            var view = (await again.ViewAsync(new ViewSnapshotRequest { Key = "check-" + info.Name, Parent = info.Name })).Mounts[0];
            var lower = view.Options.First(option => option.StartsWith("lowerdir=", StringComparison.Ordinal))["lowerdir=".Length..].Split(':')[0];
            Assert.Equal(info.Name, await File.ReadAllTextAsync(Path.Combine(lower, "file")));
        }
        foreach (var info in all.Where(info => info.Kind == Kind.Active))
        {
            var mount = (await again.MountsAsync(new MountsRequest { Key = info.Name })).Mounts[0];
            var upper = mount.Options.First(option => option.StartsWith("upperdir=", StringComparison.Ordinal))["upperdir=".Length..];
            Assert.True(Directory.Exists(upper), $"{info.Name}: {upper} is missing");
        }
    }
}
