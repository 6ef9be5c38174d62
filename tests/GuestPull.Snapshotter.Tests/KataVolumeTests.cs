using System.Text;
using System.Text.Json;
using GuestPull.Api.Kata;
using GuestPull.Snapshotter.Mounts;
using GuestPull.Snapshotter.Storage;
using GuestPull.Testing.Traits;

namespace GuestPull.Snapshotter.Tests;

[Trait(Requires.Trait, Requires.Components)]
public sealed class KataVolumeTests
{
    private static readonly SnapshotLayout Layout = new("/var/lib/gp");

    [Fact]
    public void Volume_IsTheExactJsonKataExpects()
    {
        var json = KataVolumeOption.ToJson(GuestPullMounts.BuildVolume(Chain()));
        Assert.Equal(
            "{\"volume_type\":\"image_guest_pull\",\"source\":\"registry.local:5000/app:1\",\"image_pull\":{\"metadata\":{" +
            "\"containerd.io/snapshot/cri.image-layers\":\"sha256:l0,sha256:l1\"," +
            "\"containerd.io/snapshot/cri.image-ref\":\"registry.local:5000/app:1\"," +
            "\"containerd.io/snapshot/cri.layer-digest\":\"sha256:l1\"," +
            "\"containerd.io/snapshot/cri.manifest-digest\":\"sha256:m\"}}}",
            json);
    }

    [Fact]
    public void MountOption_IsStandardPaddedBase64_OfThatJson()
    {
        var option = KataVolumeOption.Encode(GuestPullMounts.BuildVolume(Chain()));
        Assert.StartsWith("io.katacontainers.volume=", option, StringComparison.Ordinal);
        var payload = option["io.katacontainers.volume=".Length..];
        Assert.Equal(0, payload.Length % 4);
        using var document = JsonDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(payload)));
        Assert.Equal("image_guest_pull", document.RootElement.GetProperty("volume_type").GetString());
        Assert.Equal(JsonValueKind.Object, document.RootElement.GetProperty("image_pull").GetProperty("metadata").ValueKind);
    }

    [Fact]
    public void MetadataObject_IsPresentEvenWhenEmpty_AndSourceIsNeverEmpty()
    {
        var bare = Committed(2, "layer", null, new() { [SnapshotLabels.ProxyMode] = "true" });
        var json = KataVolumeOption.ToJson(GuestPullMounts.BuildVolume([Active(3, "ctr", "layer"), bare]));
        Assert.Equal("{\"volume_type\":\"image_guest_pull\",\"source\":\"dummy-image-reference\",\"image_pull\":{\"metadata\":{}}}", json);
    }

    [Fact]
    public void Mount_IsFuseNydusOverlayfs_WithDirsAndVolume()
    {
        var chain = Chain();
        var mounts = new GuestPullMounts(Layout, new OverlayMounts(Layout, indexOff: false)).For(chain);
        var mount = Assert.Single(mounts);
        Assert.Equal("fuse.nydus-overlayfs", mount.Type);
        Assert.Equal("overlay", mount.Source);
        Assert.Equal("workdir=/var/lib/gp/snapshots/3/work", mount.Options[0]);
        Assert.Equal("upperdir=/var/lib/gp/snapshots/3/fs", mount.Options[1]);
        Assert.Equal("lowerdir=/var/lib/gp/snapshots/2/fs:/var/lib/gp/snapshots/1/fs", mount.Options[2]);
        var volume = KataVolumeOption.Decode(mount.Options[3]);
        Assert.Equal("registry.local:5000/app:1", volume.Source);
        Assert.Equal(4, mount.Options.Count);
    }

    [Fact]
    public void OnlyActiveSnapshotsOnProxyLayers_GetTheVolume()
    {
        var chain = Chain();
        Assert.True(GuestPullMounts.Applies(chain));
        Assert.False(GuestPullMounts.Applies([chain[0] with { Kind = SnapshotKind.View }, chain[1], chain[2]]));
        var ordinary = Committed(2, "layer", null, new() { [SnapshotLabels.CriLayerDigest] = "sha256:l1" });
        Assert.False(GuestPullMounts.Applies([chain[0], ordinary]));
        Assert.False(GuestPullMounts.Applies([chain[0]]));
    }

    [Fact]
    public void HostUnpackedChains_AreForced_ButNotUnpackSnapshotsViewsOrParentlessOnes()
    {
        var hostLayer = Committed(2, "default/2/sha256:plain", null, []);
        Assert.True(GuestPullMounts.MustForce([Active(3, "k8s.io/3/ctr", "default/2/sha256:plain"), hostLayer]));
        Assert.False(GuestPullMounts.MustForce([Active(3, "k8s.io/3/extract-123-abc sha256:c1", "default/2/sha256:plain"), hostLayer]));
        Assert.False(GuestPullMounts.MustForce([Active(3, "k8s.io/3/ctr", "default/2/sha256:plain") with { Kind = SnapshotKind.View }, hostLayer]));
        Assert.False(GuestPullMounts.MustForce([Active(3, "k8s.io/3/ctr", "")]));
        Assert.True(GuestPullMounts.IsUnpackKey("extract-1-a sha256:c"));
        Assert.False(GuestPullMounts.IsUnpackKey("k8s.io/3/extracted"));
    }

    [Fact]
    public void ForcedVolume_ListsLayersOnlyWhenEveryLayerHasADigest()
    {
        var top = Committed(2, "c1", "c0", new() { [SnapshotLabels.CriLayerDigest] = "sha256:l1", [SnapshotLabels.CriImageLayers] = "sha256:l1" });
        var untagged = Committed(1, "c0", null, []);
        var json = KataVolumeOption.ToJson(GuestPullMounts.BuildVolume([Active(3, "ctr", "c1"), top, untagged]));
        Assert.DoesNotContain("cri.image-layers", json, StringComparison.Ordinal);
        Assert.Contains("\"source\":\"dummy-image-reference\"", json, StringComparison.Ordinal);
    }

    private static List<SnapshotRecord> Chain() =>
    [
        Active(3, "k8s.io/3/ctr", "sha256:c1"),
        Committed(2, "sha256:c1", "sha256:c0", new()
        {
            [SnapshotLabels.TargetRef] = "sha256:c1",
            [SnapshotLabels.ProxyMode] = "true",
            [SnapshotLabels.CriImageRef] = "registry.local:5000/app:1",
            [SnapshotLabels.CriLayerDigest] = "sha256:l1",
            [SnapshotLabels.CriManifestDigest] = "sha256:m",
            [SnapshotLabels.CriImageLayers] = "sha256:l1",
        }),
        Committed(1, "sha256:c0", null, new()
        {
            [SnapshotLabels.TargetRef] = "sha256:c0",
            [SnapshotLabels.ProxyMode] = "true",
            [SnapshotLabels.CriImageRef] = "registry.local:5000/app:1",
            [SnapshotLabels.CriLayerDigest] = "sha256:l0",
            [SnapshotLabels.CriManifestDigest] = "sha256:m",
            [SnapshotLabels.CriImageLayers] = "sha256:l0,sha256:l1",
        }),
    ];

    private static SnapshotRecord Active(long id, string key, string parent) =>
        new(id, key, parent, SnapshotKind.Active, new Dictionary<string, string>(), DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, SnapshotUsage.Zero);

    private static SnapshotRecord Committed(long id, string key, string? parent, Dictionary<string, string> labels) =>
        new(id, key, parent, SnapshotKind.Committed, labels, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, SnapshotUsage.Zero);
}
