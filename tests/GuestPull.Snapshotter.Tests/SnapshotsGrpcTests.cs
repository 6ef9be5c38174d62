using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using GuestPull.Api.Containerd.Snapshots.V1;
using GuestPull.Testing.Traits;

namespace GuestPull.Snapshotter.Tests;

/// <summary>containerd's semantics and error codes, through the real unix socket.</summary>
[Trait(Requires.Trait, Requires.Components)]
public sealed class SnapshotsGrpcTests : IAsyncLifetime
{
    private SnapshotterServer _server = null!;
    private Snapshots.SnapshotsClient _client = null!;

    public async Task InitializeAsync()
    {
        _server = await SnapshotterServer.StartAsync(SnapshotterDriver.Overlayfs);
        _client = _server.CreateClient();
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public void Socket_IsOwnerOnly_AndRootIs0700()
    {
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_server.Address));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_server.Root));
    }

    [Fact]
    public async Task PrepareCommitStat_RoundTrip()
    {
        var prepared = await _client.PrepareAsync(Prepare("ns/1/extract", "", ("containerd.io/snapshot/x", "1")));
        var bind = Assert.Single(prepared.Mounts);
        Assert.Equal("bind", bind.Type);
        Assert.Equal(["rw", "rbind"], bind.Options);
        Assert.True(Directory.Exists(bind.Source));

        await _client.CommitAsync(new CommitSnapshotRequest { Key = "ns/1/extract", Name = "ns/2/sha256:base", Labels = { ["containerd.io/snapshot/y"] = "2" } });
        var stat = await _client.StatAsync(new StatSnapshotRequest { Key = "ns/2/sha256:base" });
        Assert.Equal(Kind.Committed, stat.Info.Kind);
        Assert.Equal("ns/2/sha256:base", stat.Info.Name);
        Assert.Equal("", stat.Info.Parent);
        // Commit replaces labels rather than inheriting them.
        Assert.Equal(new Dictionary<string, string> { ["containerd.io/snapshot/y"] = "2" }, stat.Info.Labels);
        Assert.NotNull(stat.Info.CreatedAt);
        var missing = await Assert.ThrowsAsync<RpcException>(() => _client.StatAsync(new StatSnapshotRequest { Key = "ns/1/extract" }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
        var mounts = await Assert.ThrowsAsync<RpcException>(() => _client.MountsAsync(new MountsRequest { Key = "ns/2/sha256:base" }).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, mounts.StatusCode);
    }

    [Fact]
    public async Task OverlayMounts_FollowContainerdsOverlayfsSnapshotter()
    {
        await CommitChainAsync("layer0", "layer1");
        var active = Assert.Single((await _client.PrepareAsync(Prepare("ctr", "layer1"))).Mounts);
        Assert.Equal("overlay", active.Type);
        Assert.Equal("overlay", active.Source);
        Assert.Contains(active.Options, option => option.StartsWith("workdir=", StringComparison.Ordinal));
        Assert.Contains(active.Options, option => option.StartsWith("upperdir=", StringComparison.Ordinal));
        var lower = Assert.Single(active.Options, option => option.StartsWith("lowerdir=", StringComparison.Ordinal));
        Assert.Equal(2, lower.Split(':').Length);

        var view = Assert.Single((await _client.ViewAsync(new ViewSnapshotRequest { Key = "view1", Parent = "layer0" })).Mounts);
        Assert.Equal("bind", view.Type);
        Assert.Equal(["ro", "rbind"], view.Options);
        var view2 = Assert.Single((await _client.ViewAsync(new ViewSnapshotRequest { Key = "view2", Parent = "layer1" })).Mounts);
        Assert.Equal("overlay", view2.Type);
        Assert.DoesNotContain(view2.Options, option => option.StartsWith("upperdir=", StringComparison.Ordinal));

        var again = await _client.MountsAsync(new MountsRequest { Key = "ctr" });
        Assert.Equal(active, Assert.Single(again.Mounts));
    }

    [Fact]
    public async Task EmptyKey_IsInvalidArgument()
    {
        var prepare = await Assert.ThrowsAsync<RpcException>(() => _client.PrepareAsync(Prepare("", "")).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, prepare.StatusCode);
        Assert.Contains("key", prepare.Status.Detail, StringComparison.Ordinal);
        var stat = await Assert.ThrowsAsync<RpcException>(() => _client.StatAsync(new StatSnapshotRequest()).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, stat.StatusCode);
    }

    [Fact]
    public async Task KeysAndParentsOver4096Bytes_AreInvalidArgumentNamingTheLimit()
    {
        var atLimit = new string('k', 4096);
        var over = new string('k', 4097);
        var huge = new string('k', 1024 * 1024);

        // containerd's own limit for keys is the same as for labels; exactly 4096 bytes still works.
        await _client.PrepareAsync(Prepare(atLimit, ""));
        await _client.CommitAsync(new CommitSnapshotRequest { Key = atLimit, Name = "base" });

        // Bytes, not characters: 2049 two-byte characters are 4098 bytes.
        var multiByte = new string('é', 2049);
        foreach (var call in new Func<Task>[]
        {
            () => _client.PrepareAsync(Prepare(over, "")).ResponseAsync,
            () => _client.PrepareAsync(Prepare(multiByte, "")).ResponseAsync,
            () => _client.PrepareAsync(Prepare("k", huge)).ResponseAsync,
            () => _client.ViewAsync(new ViewSnapshotRequest { Key = "v", Parent = over }).ResponseAsync,
            () => _client.CommitAsync(new CommitSnapshotRequest { Key = "k", Name = huge }).ResponseAsync,
            () => _client.StatAsync(new StatSnapshotRequest { Key = huge }).ResponseAsync,
            () => _client.MountsAsync(new MountsRequest { Key = over }).ResponseAsync,
            () => _client.RemoveAsync(new RemoveSnapshotRequest { Key = over }).ResponseAsync,
            () => _client.UsageAsync(new UsageRequest { Key = over }).ResponseAsync,
            () => _client.UpdateAsync(new UpdateSnapshotRequest { Info = new Info { Name = over } }).ResponseAsync,
        })
        {
            var error = await Assert.ThrowsAsync<RpcException>(call);
            Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
            Assert.Contains("over the limit of 4096 bytes", error.Status.Detail, StringComparison.Ordinal);
            Assert.True(error.Status.Detail.Length < 300, "the message must not echo the whole key back");
        }

        // Nothing of the refused calls was created.
        var listed = new List<Info>();
        using var list = _client.List(new ListSnapshotsRequest());
        while (await list.ResponseStream.MoveNext(CancellationToken.None))
        {
            listed.AddRange(list.ResponseStream.Current.Info);
        }
        Assert.Equal(["base"], listed.Select(info => info.Name));
    }

    [Fact]
    public async Task UnknownParent_IsNotFound()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => _client.PrepareAsync(Prepare("k", "no-such-parent")).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Contains("no-such-parent", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CommittingAView_IsFailedPrecondition()
    {
        await _client.ViewAsync(new ViewSnapshotRequest { Key = "v" });
        var error = await Assert.ThrowsAsync<RpcException>(() => _client.CommitAsync(new CommitSnapshotRequest { Key = "v", Name = "c" }).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
    }

    [Fact]
    public async Task RemovingAParent_IsFailedPrecondition()
    {
        await CommitChainAsync("p");
        await _client.PrepareAsync(Prepare("child", "p"));
        var error = await Assert.ThrowsAsync<RpcException>(() => _client.RemoveAsync(new RemoveSnapshotRequest { Key = "p" }).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        await _client.RemoveAsync(new RemoveSnapshotRequest { Key = "child" });
        await _client.RemoveAsync(new RemoveSnapshotRequest { Key = "p" });
    }

    [Fact]
    public async Task DuplicateKey_IsAlreadyExists_ForPrepareViewAndCommit()
    {
        await _client.PrepareAsync(Prepare("dup", ""));
        Assert.Equal(StatusCode.AlreadyExists, (await Assert.ThrowsAsync<RpcException>(() => _client.PrepareAsync(Prepare("dup", "")).ResponseAsync)).StatusCode);
        Assert.Equal(StatusCode.AlreadyExists, (await Assert.ThrowsAsync<RpcException>(() => _client.ViewAsync(new ViewSnapshotRequest { Key = "dup" }).ResponseAsync)).StatusCode);
        await CommitChainAsync("taken");
        var commit = await Assert.ThrowsAsync<RpcException>(() => _client.CommitAsync(new CommitSnapshotRequest { Key = "dup", Name = "taken" }).ResponseAsync);
        Assert.Equal(StatusCode.AlreadyExists, commit.StatusCode);
    }

    [Fact]
    public async Task ParentThatIsNotCommitted_IsInvalidArgument()
    {
        await _client.PrepareAsync(Prepare("open", ""));
        var error = await Assert.ThrowsAsync<RpcException>(() => _client.PrepareAsync(Prepare("k", "open")).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
    }

    [Fact]
    public async Task Update_AppliesFieldMasks_AndRefusesOtherPaths()
    {
        await CommitChainAsync("u");
        await _client.UpdateAsync(new UpdateSnapshotRequest
        {
            Info = new Info { Name = "u", Labels = { ["a"] = "1", ["b"] = "2" } },
        });
        var updated = await _client.UpdateAsync(new UpdateSnapshotRequest
        {
            Info = new Info { Name = "u", Labels = { ["a"] = "9" } },
            UpdateMask = new FieldMask { Paths = { "labels.a", "labels.b" } },
        });
        Assert.Equal(new Dictionary<string, string> { ["a"] = "9" }, updated.Info.Labels);
        var error = await Assert.ThrowsAsync<RpcException>(() => _client.UpdateAsync(new UpdateSnapshotRequest
        {
            Info = new Info { Name = "u", Parent = "x" },
            UpdateMask = new FieldMask { Paths = { "parent" } },
        }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        var missing = await Assert.ThrowsAsync<RpcException>(() => _client.UpdateAsync(new UpdateSnapshotRequest { Info = new Info { Name = "nope" } }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task List_StreamsEverything_AndFilters()
    {
        await CommitChainAsync("l0", "l1");
        await _client.PrepareAsync(Prepare("active", "l1", ("containerd.io/snapshot/tag", "x")));
        Assert.Equal(3, (await ListAsync()).Count);
        var filtered = await ListAsync("kind==committed,parent==l0", "labels.\"containerd.io/snapshot/tag\"==x");
        Assert.Equal(["active", "l1"], filtered.Select(info => info.Name).Order());
        var bad = await Assert.ThrowsAsync<RpcException>(() => ListAsync("size>1"));
        Assert.Equal(StatusCode.InvalidArgument, bad.StatusCode);
    }

    [Fact]
    public async Task Usage_CountsTheActiveLayer_AndCommitRecordsIt()
    {
        var mount = Assert.Single((await _client.PrepareAsync(Prepare("usage", ""))).Mounts);
        await File.WriteAllBytesAsync(Path.Combine(mount.Source, "blob"), new byte[12345]);
        var usage = await _client.UsageAsync(new UsageRequest { Key = "usage" });
        Assert.Equal(12345, usage.Size);
        Assert.Equal(2, usage.Inodes);
        await _client.CommitAsync(new CommitSnapshotRequest { Key = "usage", Name = "usage-c" });
        Assert.Equal(12345, (await _client.UsageAsync(new UsageRequest { Key = "usage-c" })).Size);
    }

    [Fact]
    public async Task Cleanup_RemovesDirectoriesNoSnapshotOwns()
    {
        await CommitChainAsync("keep");
        var orphan = Path.Combine(_server.Root, "snapshots", "424242");
        Directory.CreateDirectory(Path.Combine(orphan, "fs"));
        await _client.CleanupAsync(new CleanupRequest());
        Assert.False(Directory.Exists(orphan));
        Assert.Single(Directory.EnumerateDirectories(Path.Combine(_server.Root, "snapshots")));
    }

    [Fact]
    public async Task LabelTooLarge_IsInvalidArgument()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => _client.PrepareAsync(Prepare("big", "", ("k", new string('v', 5000)))).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
    }

    private async Task<List<Info>> ListAsync(params string[] filters)
    {
        var request = new ListSnapshotsRequest();
        request.Filters.Add(filters);
        using var call = _client.List(request);
        var infos = new List<Info>();
        while (await call.ResponseStream.MoveNext(CancellationToken.None))
        {
            infos.AddRange(call.ResponseStream.Current.Info);
        }
        return infos;
    }

    private async Task CommitChainAsync(params string[] names)
    {
        var parent = "";
        foreach (var name in names)
        {
            await _client.PrepareAsync(Prepare("extract " + name, parent));
            await _client.CommitAsync(new CommitSnapshotRequest { Key = "extract " + name, Name = name });
            parent = name;
        }
    }

    private static PrepareSnapshotRequest Prepare(string key, string parent, params (string Key, string Value)[] labels)
    {
        var request = new PrepareSnapshotRequest { Snapshotter = "guestpull", Key = key, Parent = parent };
        foreach (var (labelKey, value) in labels)
        {
            request.Labels[labelKey] = value;
        }
        return request;
    }
}
