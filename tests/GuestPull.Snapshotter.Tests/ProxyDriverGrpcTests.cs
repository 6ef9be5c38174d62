using System.Text;
using System.Text.Json;
using Grpc.Core;
using GuestPull.Api.Containerd.Snapshots.V1;

namespace GuestPull.Snapshotter.Tests;

/// <summary>The proxy driver replaying what containerd's CRI unpacker sends, through the real socket.</summary>
public sealed class ProxyDriverGrpcTests : IAsyncLifetime
{
    private const string ImageRef = "registry.test:5000/app:1";
    private const string Manifest = "sha256:" + "m000000000000000000000000000000000000000000000000000000000000000";
    private static readonly string[] LayerDigests = ["sha256:l0", "sha256:l1"];
    private static readonly string[] ChainIds = ["sha256:c0", "sha256:c1"];

    private SnapshotterServer _server = null!;
    private Snapshots.SnapshotsClient _client = null!;

    public async Task InitializeAsync()
    {
        _server = await SnapshotterServer.StartAsync(SnapshotterDriver.Proxy);
        _client = _server.CreateClient();
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task LayerPrepare_IsCommittedAtOnce_AnsweredAlreadyExists_AndFoundByContainerdsFilter()
    {
        await PullAsync();
        for (var i = 0; i < ChainIds.Length; i++)
        {
            var parent = i == 0 ? "" : ChainIds[i - 1];
            var filter = $"labels.\"containerd.io/snapshot.ref\"=={ChainIds[i]},parent==\"{parent}\"";
            var info = Assert.Single(await ListAsync(filter));
            Assert.Equal(Kind.Committed, info.Kind);
            Assert.Equal(ChainIds[i], info.Name);
            Assert.Equal(parent, info.Parent);
            Assert.Equal("true", info.Labels["containerd.io/snapshot/nydus-proxy-mode"]);
            Assert.Equal(LayerDigests[i], info.Labels["containerd.io/snapshot/cri.layer-digest"]);
            Assert.Equal(ImageRef, info.Labels["containerd.io/snapshot/cri.image-ref"]);
        }
        // The extract keys never became snapshots.
        Assert.Equal(2, (await ListAsync()).Count);
        // A second pull of the same image is skipped the same way.
        await PullAsync();
        Assert.Equal(2, (await ListAsync()).Count);
    }

    [Fact]
    public async Task ConcurrentPullsOfTheSameLayer_AllSeeAlreadyExists_AndMakeOneSnapshot()
    {
        var pulls = Enumerable.Range(0, 20).Select(i => Task.Run(async () =>
        {
            var request = new PrepareSnapshotRequest { Key = $"ns{i}/1/extract-{i} {ChainIds[0]}" };
            request.Labels["containerd.io/snapshot.ref"] = ChainIds[0];
            request.Labels["containerd.io/snapshot/cri.layer-digest"] = LayerDigests[0];
            request.Labels["containerd.io/snapshot/cri.image-ref"] = ImageRef;
            var error = await Assert.ThrowsAsync<RpcException>(() => _client.PrepareAsync(request).ResponseAsync);
            Assert.Equal(StatusCode.AlreadyExists, error.StatusCode);
        }));
        await Task.WhenAll(pulls);
        var info = Assert.Single(await ListAsync());
        Assert.Equal(ChainIds[0], info.Name);
        Assert.Single(Directory.EnumerateDirectories(Path.Combine(_server.Root, "snapshots")));
    }

    [Fact]
    public async Task LayerPrepare_WithoutCriLabels_FailsNamingDisableSnapshotAnnotations()
    {
        var request = new PrepareSnapshotRequest { Key = "k8s.io/1/extract-1 sha256:c0", Labels = { ["containerd.io/snapshot.ref"] = "sha256:c0" } };
        var error = await Assert.ThrowsAsync<RpcException>(() => _client.PrepareAsync(request).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Contains("disable_snapshot_annotations = false", error.Status.Detail, StringComparison.Ordinal);
        Assert.Empty(await ListAsync());
    }

    [Fact]
    public async Task ContainerSnapshot_OnProxyLayers_GetsTheGuestPullVolume()
    {
        await PullAsync();
        var prepared = Assert.Single((await _client.PrepareAsync(new PrepareSnapshotRequest { Key = "k8s.io/9/ctr", Parent = ChainIds[^1] })).Mounts);
        Assert.Equal("fuse.nydus-overlayfs", prepared.Type);
        Assert.Equal("overlay", prepared.Source);
        Assert.StartsWith("workdir=", prepared.Options[0], StringComparison.Ordinal);
        Assert.StartsWith("upperdir=", prepared.Options[1], StringComparison.Ordinal);
        Assert.StartsWith("lowerdir=", prepared.Options[2], StringComparison.Ordinal);
        var option = prepared.Options[3];
        Assert.StartsWith("io.katacontainers.volume=", option, StringComparison.Ordinal);

        using var volume = JsonDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(option["io.katacontainers.volume=".Length..])));
        var root = volume.RootElement;
        Assert.Equal("image_guest_pull", root.GetProperty("volume_type").GetString());
        Assert.Equal(ImageRef, root.GetProperty("source").GetString());
        var metadata = root.GetProperty("image_pull").GetProperty("metadata");
        Assert.Equal(ImageRef, metadata.GetProperty("containerd.io/snapshot/cri.image-ref").GetString());
        Assert.Equal(Manifest, metadata.GetProperty("containerd.io/snapshot/cri.manifest-digest").GetString());
        Assert.Equal(string.Join(',', LayerDigests), metadata.GetProperty("containerd.io/snapshot/cri.image-layers").GetString());

        var mounts = await _client.MountsAsync(new MountsRequest { Key = "k8s.io/9/ctr" });
        Assert.Equal(prepared, Assert.Single(mounts.Mounts));
    }

    [Fact]
    public async Task ViewOnProxyLayers_CarriesNoVolume()
    {
        await PullAsync();
        var view = Assert.Single((await _client.ViewAsync(new ViewSnapshotRequest { Key = "k8s.io/9/view", Parent = ChainIds[^1] })).Mounts);
        Assert.Equal("overlay", view.Type);
        Assert.DoesNotContain(view.Options, option => option.StartsWith("io.katacontainers.volume=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ImageUnpackedOnTheHost_StillGetsTheGuestPullVolume_LikeNydusTreatAsProxyDriver()
    {
        await UnpackOnTheHostAsync(_client);
        // containerd writes a host unpack through ordinary mounts (an extract- key), and a snapshot without parent has nothing below it.
        var layer = Assert.Single((await _client.PrepareAsync(new PrepareSnapshotRequest { Key = "default/4/extract-1-x sha256:next", Parent = "default/2/sha256:plain" })).Mounts);
        Assert.Equal("overlay", layer.Type);

        var mount = Assert.Single((await _client.PrepareAsync(new PrepareSnapshotRequest { Key = "default/3/ctr", Parent = "default/2/sha256:plain" })).Mounts);
        Assert.Equal("fuse.nydus-overlayfs", mount.Type);
        using var volume = JsonDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(mount.Options[^1]["io.katacontainers.volume=".Length..])));
        Assert.Equal("image_guest_pull", volume.RootElement.GetProperty("volume_type").GetString());
        // No CRI labels on host-unpacked layers: the runtime names the image from the container's annotations.
        Assert.Equal("dummy-image-reference", volume.RootElement.GetProperty("source").GetString());
        Assert.Empty(volume.RootElement.GetProperty("image_pull").GetProperty("metadata").EnumerateObject());
        Assert.Equal(mount, Assert.Single((await _client.MountsAsync(new MountsRequest { Key = "default/3/ctr" })).Mounts));

        // A view (read-only, containerd's own reads) keeps ordinary mounts.
        var view = Assert.Single((await _client.ViewAsync(new ViewSnapshotRequest { Key = "default/5/view", Parent = "default/2/sha256:plain" })).Mounts);
        Assert.Equal("bind", view.Type);
    }

    [Fact]
    public async Task AllowHostRootfs_GivesAHostUnpackedImageOrdinaryOverlayMounts_ButNotProxyLayers()
    {
        await using var server = await SnapshotterServer.StartAsync(SnapshotterDriver.Proxy, configToml: "[snapshot]\nallow_host_rootfs = true\n");
        var client = server.CreateClient();
        await UnpackOnTheHostAsync(client);
        var mount = Assert.Single((await client.PrepareAsync(new PrepareSnapshotRequest { Key = "default/3/ctr", Parent = "default/2/sha256:plain" })).Mounts);
        Assert.Equal("overlay", mount.Type);
        Assert.DoesNotContain(mount.Options, option => option.StartsWith("io.katacontainers.volume=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ParentMissingFromTheDatabase_IsRecoveredAsAnEmptyCommittedPlaceholder_AndTheContainerPullsInTheGuest()
    {
        // containerd still names a layer this snapshotter lost (nydus #700): a crash, a wiped metadata.db.
        var mount = Assert.Single((await _client.PrepareAsync(new PrepareSnapshotRequest { Key = "k8s.io/9/ctr", Parent = "k8s.io/2/sha256:lost" })).Mounts);
        Assert.Equal("fuse.nydus-overlayfs", mount.Type);

        var placeholder = Assert.Single(await ListAsync("name==\"k8s.io/2/sha256:lost\""));
        Assert.Equal(Kind.Committed, placeholder.Kind);
        Assert.Equal("", placeholder.Parent);
        Assert.Equal("true", placeholder.Labels["guestpull.recovered"]);
        Assert.True(long.TryParse(placeholder.Labels["guestpull.recovered.at"], out _));
        Assert.Equal(2, Directory.EnumerateDirectories(Path.Combine(_server.Root, "snapshots")).Count());

        // A second container on it finds the placeholder, and it is removed like any snapshot.
        await _client.PrepareAsync(new PrepareSnapshotRequest { Key = "k8s.io/10/ctr", Parent = "k8s.io/2/sha256:lost" });
        Assert.Single(await ListAsync("name==\"k8s.io/2/sha256:lost\""));
        await _client.RemoveAsync(new RemoveSnapshotRequest { Key = "k8s.io/9/ctr" });
        await _client.RemoveAsync(new RemoveSnapshotRequest { Key = "k8s.io/10/ctr" });
        await _client.RemoveAsync(new RemoveSnapshotRequest { Key = "k8s.io/2/sha256:lost" });
        Assert.Empty(await ListAsync());
    }

    // ctr-style unpack: no snapshot.ref label, containerd writes the layer and commits it.
    [Theory]
    [InlineData(true, false, false)]
    [InlineData(false, false, true)]
    [InlineData(true, true, true)]
    public async Task ALayerContainerdUnpacksOnTheHost_WithoutCriLabels_IsCommittedEmpty_WhenDiscardHostLayersIsSet(bool discard, bool allowHostRootfs, bool kept)
    {
        var config = $"[snapshot]\ndiscard_host_layers = {(discard ? "true" : "false")}\nallow_host_rootfs = {(allowHostRootfs ? "true" : "false")}\n";
        await using var server = await SnapshotterServer.StartAsync(SnapshotterDriver.Proxy, configToml: config);
        var client = server.CreateClient();
        // containerd's apply path (an image another snapshotter had, unpacked again at CreateContainer): an
        // extract- key with no labels, the layer written through the bind mount, then Commit.
        var mount = Assert.Single((await client.PrepareAsync(new PrepareSnapshotRequest { Key = "k8s.io/7/extract-123-4 sha256:hostlayer" })).Mounts);
        Assert.Equal("bind", mount.Type);
        Directory.CreateDirectory(Path.Combine(mount.Source, "etc"));
        await File.WriteAllTextAsync(Path.Combine(mount.Source, "etc", "passwd"), "root:x:0:0::/root:/bin/sh\n");
        await client.CommitAsync(new CommitSnapshotRequest { Key = "k8s.io/7/extract-123-4 sha256:hostlayer", Name = "k8s.io/8/sha256:hostlayer" });

        Assert.Equal(kept, File.Exists(Path.Combine(mount.Source, "etc", "passwd")));
        var info = (await client.StatAsync(new StatSnapshotRequest { Key = "k8s.io/8/sha256:hostlayer" })).Info;
        Assert.Equal(Kind.Committed, info.Kind);
    }

    private static async Task UnpackOnTheHostAsync(Snapshots.SnapshotsClient client)
    {
        await client.PrepareAsync(new PrepareSnapshotRequest { Key = "default/1/extract" });
        await client.CommitAsync(new CommitSnapshotRequest { Key = "default/1/extract", Name = "default/2/sha256:plain" });
    }

    [Fact]
    public async Task ProxyLayers_CanBeRemovedLeafFirst_LikeContainerdsGc()
    {
        await PullAsync();
        var error = await Assert.ThrowsAsync<RpcException>(() => _client.RemoveAsync(new RemoveSnapshotRequest { Key = ChainIds[0] }).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        await _client.RemoveAsync(new RemoveSnapshotRequest { Key = ChainIds[1] });
        await _client.RemoveAsync(new RemoveSnapshotRequest { Key = ChainIds[0] });
        await _client.CleanupAsync(new CleanupRequest());
        Assert.Empty(await ListAsync());
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_server.Root, "snapshots")));
    }

    // What containerd's unpacker does per layer: Stat the chainID, Prepare with the CRI labels, and
    // on AlreadyExists look the committed snapshot up by label and parent.
    private async Task PullAsync()
    {
        for (var i = 0; i < ChainIds.Length; i++)
        {
            var parent = i == 0 ? "" : ChainIds[i - 1];
            var request = new PrepareSnapshotRequest { Key = $"k8s.io/{i}/extract-{Guid.NewGuid():N} {ChainIds[i]}", Parent = parent };
            request.Labels["containerd.io/snapshot.ref"] = ChainIds[i];
            request.Labels["containerd.io/snapshot/cri.image-ref"] = ImageRef;
            request.Labels["containerd.io/snapshot/cri.layer-digest"] = LayerDigests[i];
            request.Labels["containerd.io/snapshot/cri.manifest-digest"] = Manifest;
            request.Labels["containerd.io/snapshot/cri.image-layers"] = string.Join(',', LayerDigests.Skip(i));
            var error = await Assert.ThrowsAsync<RpcException>(() => _client.PrepareAsync(request).ResponseAsync);
            Assert.Equal(StatusCode.AlreadyExists, error.StatusCode);
        }
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
}
