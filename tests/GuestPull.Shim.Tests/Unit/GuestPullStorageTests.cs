using System.Text;
using System.Text.Json;
using GuestPull.Api.Kata;
using GuestPull.Shim.Rootfs;

namespace GuestPull.Shim.Tests.Unit;

public sealed class GuestPullStorageTests
{
    private const string ImageName = "registry.example:5000/app/hello:1";

    private static string VolumeOption(string json) => KataVolumeOption.Prefix + Convert.ToBase64String(Encoding.UTF8.GetBytes(json));

    private static RootfsMount NydusMount(string json) =>
        new("fuse.nydus-overlayfs", "overlay", ["lowerdir=/x", VolumeOption(json)]);

    private static RootfsPlan Plan(RootfsMount mount, Dictionary<string, string> annotations, bool isSandbox) =>
        RootfsPlanner.Plan("c1", "/bundle", "rootfs", [mount], annotations, isSandbox, "/nonexistent-shared", "/run/kata-containers", path => path, allowHostRootfs: false);

    private static RootfsMount HostOverlay => new("overlay", "overlay", ["lowerdir=/s/1/fs:/s/2/fs", "upperdir=/s/3/fs", "workdir=/s/3/work"]);

    [Fact]
    public void AHostRootfs_IsRefused_SayingWhyAndHowToFix()
    {
        var ex = Assert.Throws<ShimException>(() => Plan(HostOverlay, new Dictionary<string, string> { ["io.kubernetes.cri.image-name"] = ImageName }, isSandbox: false));
        Assert.Contains("unpacked on the host (a overlay mount)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("only runs images pulled in the guest", ex.Message, StringComparison.Ordinal);
        Assert.Contains("guestpull snapshotter for this runtime", ex.Message, StringComparison.Ordinal);
        Assert.Contains("allow_host_rootfs = true", ex.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists("/nonexistent-shared"));
    }

    [Fact]
    public void ASandboxContainerOnAHostRootfs_RunsTheAgentsPause_NotTheHostsImage()
    {
        var plan = Plan(HostOverlay, new Dictionary<string, string> { ["io.kubernetes.cri.container-type"] = "sandbox" }, isSandbox: true);
        var storage = Assert.Single(plan.Storages);
        Assert.Equal("pause", storage.Source);
        Assert.Empty(plan.HostMounts);
    }

    [Fact]
    public void CriOsSandboxAnnotation_MakesTheSandboxContainerPullPause()
    {
        var mount = NydusMount("""{"volume_type":"image_guest_pull","image_pull":{"metadata":{}}}""");
        var annotations = new Dictionary<string, string> { ["io.kubernetes.cri-o.ContainerType"] = "sandbox" };
        var spec = System.Text.Json.Nodes.JsonNode.Parse("""{"annotations":{"io.kubernetes.cri-o.ContainerType":"sandbox"}}""")!.AsObject();
        Assert.True(GuestPull.Shim.Daemon.PodGrouping.IsSandboxContainer(spec));
        var plan = Plan(mount, annotations, isSandbox: GuestPull.Shim.Daemon.PodGrouping.IsSandboxContainer(spec));
        Assert.Equal("pause", Assert.Single(plan.Storages).Source);
    }

    [Fact]
    public void AWorkloadVolumeBecomesAnImageGuestPullStorageForTheAnnotatedImage()
    {
        var mount = NydusMount("""{"volume_type":"image_guest_pull","source":"dummy-image-reference","image_pull":{"metadata":{"io.katacontainers.image.layer":"sha256:1","shared":"from-volume"}}}""");
        var annotations = new Dictionary<string, string>
        {
            ["io.kubernetes.cri.image-name"] = ImageName,
            ["io.kubernetes.cri.container-type"] = "container",
            ["shared"] = "from-annotation",
        };

        var plan = Plan(mount, annotations, isSandbox: false);

        var storage = Assert.Single(plan.Storages);
        Assert.Equal("image_guest_pull", storage.Driver);
        Assert.Equal(ImageName, storage.Source);
        Assert.Equal("overlay", storage.Fstype);
        Assert.Empty(storage.Options);
        Assert.Equal("/run/kata-containers/c1/rootfs", storage.MountPoint);
        Assert.Equal("/run/kata-containers/c1/rootfs", plan.RootPath);
        Assert.Empty(plan.HostMounts);

        // Plain JSON after "image_guest_pull=": the volume's metadata with the annotations merged in, annotations winning.
        var option = Assert.Single(storage.DriverOptions);
        Assert.StartsWith("image_guest_pull={", option, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(option["image_guest_pull=".Length..]);
        var metadata = json.RootElement.GetProperty("metadata");
        Assert.Equal("sha256:1", metadata.GetProperty("io.katacontainers.image.layer").GetString());
        Assert.Equal("from-annotation", metadata.GetProperty("shared").GetString());
        Assert.Equal(ImageName, metadata.GetProperty("io.kubernetes.cri.image-name").GetString());
    }

    [Fact]
    public void TheSandboxContainerPullsPause()
    {
        var mount = NydusMount("""{"volume_type":"image_guest_pull","image_pull":{"metadata":{}}}""");

        var plan = Plan(mount, new Dictionary<string, string> { ["io.kubernetes.cri.container-type"] = "sandbox" }, isSandbox: true);

        Assert.Equal("pause", Assert.Single(plan.Storages).Source);
    }

    [Fact]
    public void CriOsImageNameAnnotationIsAccepted()
    {
        var mount = NydusMount("""{"volume_type":"image_guest_pull","image_pull":{"metadata":{}}}""");

        var plan = Plan(mount, new Dictionary<string, string> { ["io.kubernetes.cri-o.ImageName"] = ImageName }, isSandbox: false);

        Assert.Equal(ImageName, Assert.Single(plan.Storages).Source);
    }

    [Fact]
    public void AWorkloadWithoutAnImageNameFailsAsKataDoes()
    {
        var mount = NydusMount("""{"volume_type":"image_guest_pull","image_pull":{"metadata":{}}}""");

        var ex = Assert.Throws<ShimException>(() => Plan(mount, [], isSandbox: false));
        Assert.Contains("Failed to get image name from annotations", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("fuse.nydus-overlayfs", true)]
    [InlineData("fuse./usr/bin/nydus-overlayfs", true)]
    [InlineData("fuse.nydus-overlayfs-v2", true)]
    [InlineData("overlay", false)]
    [InlineData("fuse.sshfs", false)]
    [InlineData("nydus-overlayfs", false)]
    public void OnlyFuseNydusOverlayMountsAreKeptOffTheHost(string type, bool expected) =>
        Assert.Equal(expected, new RootfsMount(type, "overlay", []).IsNydusOverlay);

    [Theory]
    [InlineData("""{"volume_type":"direct_block"}""", "unsupported Kata volume type \"direct_block\"")]
    [InlineData("""[1,2]""", "must be a JSON object")]
    [InlineData("""{"volume_type":""", "not valid JSON")]
    [InlineData("""{"volume_type":"image_guest_pull","image_pull":{"metadata":{"a":1}}}""", "metadata \"a\" must be a string")]
    public void BadVolumesAreRefusedWithTheProblemNamed(string json, string expected)
    {
        var ex = Assert.Throws<ShimException>(() => Plan(NydusMount(json), new Dictionary<string, string> { ["io.kubernetes.cri.image-name"] = ImageName }, isSandbox: false));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ANydusMountWithoutAVolumeIsRefused()
    {
        var ex = Assert.Throws<ShimException>(() => Plan(new RootfsMount("fuse.nydus-overlayfs", "overlay", ["lowerdir=/x"]), [], isSandbox: false));
        Assert.Contains("has no io.katacontainers.volume= option", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AVolumeOptionThatIsNotBase64IsRefused()
    {
        var ex = Assert.Throws<ShimException>(() => Plan(new RootfsMount("fuse.nydus-overlayfs", "overlay", [KataVolumeOption.Prefix + "%%%"]), [], isSandbox: false));
        Assert.Contains("is not base64", ex.Message, StringComparison.Ordinal);
    }
}
