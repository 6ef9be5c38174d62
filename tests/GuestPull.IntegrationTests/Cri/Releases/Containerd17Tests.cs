using Grpc.Core;
using GuestPull.Testing.Traits;

namespace GuestPull.IntegrationTests.Cri.Releases;

/// <summary>
/// containerd 1.7 (Debian trixie's), runtime-specific snapshotter as <c>guestpull install --config-only
/// --runtime-specific</c> writes it: runc pods keep overlayfs, guest-pull pods get GuestPull's snapshotter.
/// </summary>
[Trait(Requires.Trait, Requires.Components)]
[Collection(CriCollection.Name)]
public sealed class Containerd17Tests(Containerd17NodeFixture fixture) : IClassFixture<Containerd17NodeFixture>
{
    private MixedPods Pods => new(fixture.Node, fixture.Busybox);

    [Fact]
    public async Task InstallOutput_IsTheRuntimeSpecificVersion2Config()
    {
        var config = await File.ReadAllTextAsync(fixture.Node.Containerd.Layout.ConfigPath);
        Assert.Contains("[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.guestpull]", config, StringComparison.Ordinal);
        Assert.DoesNotContain("runtime_platforms", config, StringComparison.Ordinal);
        Assert.Contains("snapshotter = \"guestpull\"", config, StringComparison.Ordinal);
        await UninstallRestores.CheckAsync(fixture.Node);
    }

    /// <summary>
    /// The order 1.7 cannot handle: the guest-pull pod's proxy pull records the pause image without its
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

    [Fact]
    public async Task RuncPodFirst_ThenGuestPullPod_OfTheSameImage()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var (image, layers) = await Pods.FreshImageAsync("runc-first", timeout.Token);
        await Pods.RunRuncPodAsync("runc", image, timeout.Token);
        await Pods.RunGuestPullPodAsync("guest", image, layers, timeout.Token);
    }
}
