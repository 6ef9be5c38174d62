using Grpc.Core;

namespace GuestPull.IntegrationTests.Cri.Releases;

/// <summary>
/// What every release with the runtime-specific snapshotter must do, as <c>guestpull install --config-only
/// --runtime-specific</c> configures it (1.7 on a version 2 config, 2.1 on version 3): runc pods keep the host's
/// snapshotter, guest-pull pods get GuestPull's, and a runc pod and a guest-pull pod of one image share the node
/// in either order, with <c>guestpull doctor</c> and <c>install --purge-host-images</c> covering the order that
/// needs a purge. Each release's class adds the checks of its own config.
/// </summary>
public abstract class RuntimeSpecificReleaseTests(ReleaseNodeFixture fixture)
{
    private static readonly string[] InstallArguments = ["--runtime-specific"];

    private protected ReleaseNodeFixture Fixture => fixture;

    private MixedPods Pods => new(fixture.Node, fixture.Busybox);

    private HostImageCommands Host => new(fixture.Node, InstallArguments);

    /// <summary>
    /// The order these releases cannot handle on their own: the guest-pull pod's proxy pull records the image and
    /// the pause image without their layer blobs (they are fetched in the guest), so a runc pod finds them
    /// "present", skips the pull and fails to unpack them into overlayfs. doctor names both; <c>guestpull install
    /// --purge-host-images IMAGE</c> deletes them (the pause image as the config's sandbox image), CRI pulls them
    /// again whole, and doctor then names them as unpacked on the host until they are purged again.
    /// </summary>
    [Fact]
    public async Task GuestPullPodFirst_ThenRuncPod_FindsNoLayerBlobs_UntilPurgeHostImagesDeletesThem()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(6));
        var node = fixture.Node;
        var (image, layers) = await Pods.FreshImageAsync("guest-first", timeout.Token);
        await Pods.RunGuestPullPodAsync("guest", image, layers, timeout.Token);

        var lacking = await Host.DoctorAsync("host.image-blobs", timeout.Token);
        Assert.True(lacking.Status == "WARN", lacking.ToString());
        Assert.Contains(image, lacking.Message, StringComparison.Ordinal);
        Assert.Contains(node.PauseImage + " (the sandbox image)", lacking.Message, StringComparison.Ordinal);
        Assert.Contains("--purge-host-images ", lacking.Fix, StringComparison.Ordinal);
        Assert.Contains(image, lacking.Fix, StringComparison.Ordinal);

        var error = await Assert.ThrowsAsync<RpcException>(() => Pods.RunRuncPodAsync("runc", image, timeout.Token));
        Assert.Contains("content digest", error.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("not found", error.Status.Detail, StringComparison.Ordinal);

        await Host.PurgeAsync([image], timeout.Token);
        var purged = await Host.DoctorAsync("host.image-blobs", timeout.Token);
        Assert.True(purged.Status == "PASS", purged.ToString());
        await Pods.RunRuncPodAsync("runc", image, timeout.Token);

        var unpacked = await Host.DoctorAsync("host.images", timeout.Token);
        Assert.True(unpacked.Status == "WARN", unpacked.ToString());
        Assert.Contains(image, unpacked.Message, StringComparison.Ordinal);
        Assert.Contains(node.PauseImage + " (the sandbox image)", unpacked.Message, StringComparison.Ordinal);
        Assert.Contains("--purge-host-images " + string.Join(' ', new[] { image, node.PauseImage }.Order(StringComparer.Ordinal)), unpacked.Fix, StringComparison.Ordinal);
        await Host.PurgeAsync([image], timeout.Token);
        var clean = await Host.DoctorAsync("host.images", timeout.Token);
        Assert.True(clean.Status == "PASS", clean.ToString());
    }

    /// <summary>
    /// The runc pod unpacks the image and the pause image into overlayfs first. 1.7 pulls the guest-pull pod's image
    /// through GuestPull; 2.1 finds the pause image "present" and unpacks it into GuestPull's snapshotter without
    /// CRI's labels, which the snapshotter's forced guest pull for host-unpacked parents turns into a guest pull.
    /// Either way the guest-pull pod's rootfs is pulled in the guest. The purge at the end, pass or fail, leaves the
    /// node as the other tests expect it.
    /// </summary>
    [Fact]
    public async Task RuncPodFirst_ThenGuestPullPod_OfTheSameImage()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var (image, layers) = await Pods.FreshImageAsync("runc-first", timeout.Token);
        try
        {
            await Pods.RunRuncPodAsync("runc", image, timeout.Token);
            await Pods.RunGuestPullPodAsync("guest", image, layers, timeout.Token);
        }
        finally
        {
            await Host.PurgeAsync([image], timeout.Token);
        }
    }
}
