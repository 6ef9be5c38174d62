using System.Globalization;
using System.Net.Sockets;
using Grpc.Core;
using GuestPull.Api.Containerd.Snapshots.V1;
using GuestPull.Testing;
using GuestPull.Testing.Traits;

namespace GuestPull.Snapshotter.Tests;

[Trait(Requires.Trait, Requires.Components)]
public sealed class ConcurrencyAndRestartTests
{
    [Fact]
    public async Task TwoHundredConcurrentCalls_FromSeveralClients_LeaveDatabaseAndDirectoriesConsistent()
    {
        await using var server = await SnapshotterServer.StartAsync(SnapshotterDriver.Overlayfs);
        var clients = Enumerable.Range(0, 4).Select(_ => server.CreateClient()).ToArray();
        var setup = clients[0];
        await setup.PrepareAsync(new PrepareSnapshotRequest { Key = "base-key" });
        await setup.CommitAsync(new CommitSnapshotRequest { Key = "base-key", Name = "base" });

        // 50 workers x (Prepare, Commit, Stat, and Remove for every other one) = 200 calls.
        var workers = Enumerable.Range(0, 50).Select(async i =>
        {
            var client = clients[i % clients.Length];
            var name = "c" + i.ToString(CultureInfo.InvariantCulture);
            await client.PrepareAsync(new PrepareSnapshotRequest { Key = "k" + name, Parent = "base" });
            await client.CommitAsync(new CommitSnapshotRequest { Key = "k" + name, Name = name });
            var stat = await client.StatAsync(new StatSnapshotRequest { Key = name });
            Assert.Equal(Kind.Committed, stat.Info.Kind);
            Assert.Equal("base", stat.Info.Parent);
            if (i % 2 == 0)
            {
                await client.RemoveAsync(new RemoveSnapshotRequest { Key = name });
            }
            else
            {
                // A racing duplicate must be refused, not corrupt anything.
                var duplicate = await Assert.ThrowsAsync<RpcException>(() => client.PrepareAsync(new PrepareSnapshotRequest { Key = name }).ResponseAsync);
                Assert.Equal(StatusCode.AlreadyExists, duplicate.StatusCode);
            }
        });
        await Task.WhenAll(workers);

        var names = await ListNamesAsync(setup);
        var expected = Enumerable.Range(0, 50).Where(i => i % 2 == 1).Select(i => "c" + i.ToString(CultureInfo.InvariantCulture)).Append("base").Order();
        Assert.Equal(expected, names.Order());
        Assert.Equal(26, Directory.EnumerateDirectories(Path.Combine(server.Root, "snapshots")).Count());
    }

    [Fact]
    public async Task Restart_KeepsCommittedSnapshots_RemovesStaleSocket_AndRepairsOrphans()
    {
        using var directory = TempDirectory.Create("snapshotter-restart");
        var first = await SnapshotterServer.StartAsync(SnapshotterDriver.Overlayfs, directory);
        var client = first.CreateClient();
        await client.PrepareAsync(new PrepareSnapshotRequest { Key = "k" });
        await client.CommitAsync(new CommitSnapshotRequest { Key = "k", Name = "layer" });
        await client.PrepareAsync(new PrepareSnapshotRequest { Key = "ctr", Parent = "layer" });
        var root = first.Root;
        var address = first.Address;
        await first.StopAsync();

        // A crash leaves the socket file behind and perhaps a directory no row owns.
        // Bound but not listening, like a dead process's socket (kept open: .NET unlinks the path on dispose).
        using var stale = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        stale.Bind(new UnixDomainSocketEndPoint(address));
        Assert.True(File.Exists(address));
        Directory.CreateDirectory(Path.Combine(root, "snapshots", "777", "fs"));

        await using var second = await SnapshotterServer.StartAsync(SnapshotterDriver.Overlayfs, directory);
        var again = second.CreateClient();
        Assert.Equal(Kind.Committed, (await again.StatAsync(new StatSnapshotRequest { Key = "layer" })).Info.Kind);
        var mount = Assert.Single((await again.MountsAsync(new MountsRequest { Key = "ctr" })).Mounts);
        Assert.Equal("overlay", mount.Type);
        Assert.False(Directory.Exists(Path.Combine(root, "snapshots", "777")));
    }

    [Fact]
    public async Task SecondInstance_OnALiveSocket_IsRefused()
    {
        await using var server = await SnapshotterServer.StartAsync(SnapshotterDriver.Proxy);
        using var other = TempDirectory.Create("snapshotter-second");
        var error = await Assert.ThrowsAsync<SnapshotterConfigurationException>(() => SnapshotterHost.StartAsync(
            new SnapshotterOptions { Root = other.Combine("root"), Address = server.Address, LogLevel = "none" }, CancellationToken.None));
        Assert.Contains("in use", error.Message, StringComparison.Ordinal);
    }

    private static async Task<List<string>> ListNamesAsync(Snapshots.SnapshotsClient client)
    {
        using var call = client.List(new ListSnapshotsRequest());
        var names = new List<string>();
        while (await call.ResponseStream.MoveNext(CancellationToken.None))
        {
            names.AddRange(call.ResponseStream.Current.Info.Select(info => info.Name));
        }
        return names;
    }
}
