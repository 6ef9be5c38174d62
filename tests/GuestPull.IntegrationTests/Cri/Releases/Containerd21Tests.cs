using Grpc.Core;
using GuestPull.Testing.Traits;

namespace GuestPull.IntegrationTests.Cri.Releases;

/// <summary>
/// containerd 2.1 (Debian sid's), runtime-specific snapshotter (runtime table and the images service's runtime_platforms) as <c>guestpull install --config-only
/// --runtime-specific</c> writes it: runc pods keep overlayfs, guest-pull pods get GuestPull's snapshotter.
/// </summary>
[Trait(Requires.Trait, Requires.Components)]
[Collection(CriCollection.Name)]
public sealed class Containerd21Tests(Containerd21NodeFixture fixture) : IClassFixture<Containerd21NodeFixture>
{
    private MixedPods Pods => new(fixture.Node, fixture.Busybox);

    [Fact]
    public async Task InstallOutput_IsTheRuntimeSpecificVersion3Config_WithTheImagesRuntimePlatform()
    {
        var config = await File.ReadAllTextAsync(fixture.Node.Containerd.Layout.ConfigPath);
        Assert.Contains("[plugins.\"io.containerd.cri.v1.runtime\".containerd.runtimes.guestpull]", config, StringComparison.Ordinal);
        Assert.Contains("[plugins.\"io.containerd.cri.v1.images\".runtime_platforms.guestpull]", config, StringComparison.Ordinal);
        await UninstallRestores.CheckAsync(fixture.Node);
    }

    /// <summary>
    /// The order 2.1 cannot handle either (as 1.7): the guest-pull pod's proxy pull records the pause image without its
    /// layer blobs (they are fetched in the guest), so the runc pod's RunPodSandbox finds the image
    /// "present", skips the pull and fails to unpack it into overlayfs. Deleting the host's image record
    /// first (what <c>guestpull install --purge-host-images</c> and the Kata how-to do) lets CRI pull it again.
    /// </summary>
    [Fact]
    public async Task GuestPullPodFirst_ThenRuncPod_FindsNoLayerBlobs_UntilTheHostImagesAreDeleted()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var (image, layers) = await Pods.FreshImageAsync("guest-first", timeout.Token);
        await Pods.RunGuestPullPodAsync("guest", image, layers, timeout.Token);

        var error = await Assert.ThrowsAsync<RpcException>(() => Pods.RunRuncPodAsync("runc", image, timeout.Token));
        Assert.Contains("content digest", error.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("not found", error.Status.Detail, StringComparison.Ordinal);

        await Pods.ForgetImagesAsync([fixture.Node.PauseImage, image], timeout.Token);
        await Pods.RunRuncPodAsync("runc", image, timeout.Token);
    }

    /// <summary>
    /// 2.1 pulls the guest-pull pod's image through GuestPull, but finds the pause image "present" (the runc
    /// pod unpacked it into overlayfs) and unpacks it into GuestPull's snapshotter without CRI's labels:
    /// the sandbox's rootfs comes from the host, and verify says so. The snapshotter's forced guest pull
    /// for host-unpacked parents (issue 14, item 1) turns that into a guest pull.
    /// </summary>
    [Fact]
    public async Task RuncPodFirst_ThenGuestPullPod_OfTheSameImage()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var (image, layers) = await Pods.FreshImageAsync("runc-first", timeout.Token);
        await Pods.RunRuncPodAsync("runc", image, timeout.Token);
        await Pods.RunGuestPullPodAsync("guest", image, layers, timeout.Token);
    }
}
