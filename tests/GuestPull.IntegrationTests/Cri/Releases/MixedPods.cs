using Grpc.Core;
using GuestPull.Api.Cri.V1;
using GuestPull.Testing;
using GuestPull.Testing.Cri;

namespace GuestPull.IntegrationTests.Cri.Releases;

/// <summary>
/// A runc pod and a guest-pull pod of the same image on one node, as kubelet drives them: RunPodSandbox,
/// PullImage (with the pod's config, whose <c>io.containerd.cri.runtime-handler</c> annotation picks the
/// runtime-specific snapshotter on 1.7+), CreateContainer, StartContainer.
/// </summary>
internal sealed class MixedPods(CriNode node, BusyboxImageFixture busybox)
{
    /// <summary>The pod annotation containerd 1.7+ reads at PullImage to pick the handler's snapshotter.</summary>
    public const string RuntimeHandlerAnnotation = "io.containerd.cri.runtime-handler";

    /// <summary>
    /// Pushes busybox plus a layer of its own as REPOSITORY:1 (an image no other test uses), and makes
    /// containerd forget the pause image, so each test decides which pod pulls it first.
    /// </summary>
    public async Task<(string Image, IReadOnlyList<string> Layers)> FreshImageAsync(string repository, CancellationToken token)
    {
        using var work = TempDirectory.Create("cri-" + repository);
        var layout = busybox.CopyLayoutTo(work.Combine("layout"));
        await ImageBuilder.AddLayerAsync(layout, BusyboxImageFixture.Tag, rootfs => File.WriteAllText(Path.Combine(rootfs, "own.txt"), Guid.NewGuid().ToString()), token);
        await ImageBuilder.PushAsync(layout, BusyboxImageFixture.Tag, node.Registry, repository + ":1", cancellationToken: token);
        await ForgetPauseImageAsync(token);
        return ($"{node.Registry.Host}/{repository}:1", HostTraces.LayerDigests(layout, BusyboxImageFixture.Tag));
    }

    public Task ForgetPauseImageAsync(CancellationToken token) => ForgetImagesAsync([node.PauseImage], token);

    /// <summary>Deletes images from containerd's <c>k8s.io</c> namespace (garbage-collected before it returns), as an image purge does.</summary>
    public async Task ForgetImagesAsync(IEnumerable<string> images, CancellationToken token)
    {
        foreach (var image in images)
        {
            var removed = await node.Containerd.RunCtrAsync(["images", "rm", "--sync", image], "k8s.io", new ProcessRunOptions { ThrowOnFailure = false }, token);
            Assert.True(removed.Succeeded || removed.StandardError.Contains("not found", StringComparison.OrdinalIgnoreCase), removed.StandardError);
        }
    }

    /// <summary>
    /// Runs a guest-pull pod of <paramref name="image"/> and checks its rootfs was pulled in the guest:
    /// the container prints its line, the registry saw the agent (and not containerd) GET every layer,
    /// <c>guestpull verify</c> passes (the pause container included), the snapshotter holds no file.
    /// </summary>
    public async Task RunGuestPullPodAsync(string name, string image, IReadOnlyList<string> layers, CancellationToken token)
    {
        await node.Registry.SyncAccessLogAsync(token);
        node.Registry.ClearRequests();
        var (podConfig, podId) = await RunPodSandboxAsync(name, CriNode.Handler, token);
        try
        {
            var logLines = await RunContainerAsync(podConfig, podId, name, image, token);
            Assert.Equal([$"{name} says hello"], logLines);

            await node.Registry.SyncAccessLogAsync(token);
            foreach (var layer in layers)
            {
                var gets = node.Registry.Requests.Where(r => r.IsBlobGet && r.BlobDigest == layer).ToList();
                Assert.True(gets.Count > 0, $"no GET of layer {layer}: the guest did not pull it\n{node.Describe()}");
                Assert.All(gets, r => Assert.StartsWith("guestpull/", r.UserAgent, StringComparison.Ordinal));
            }

            var verify = await node.VerifyAsync(podId);
            Assert.True(verify.ExitCode == 0, $"guestpull verify failed:\n{verify.StandardOutput}\n{verify.StandardError}\n{node.Describe()}");
            Assert.Contains("pulled in the guest", verify.StandardOutput, StringComparison.Ordinal);
            var files = HostTraces.FilesUnder(Path.Combine(node.SnapshotterRoot, "snapshots"));
            Assert.True(files.Count == 0, $"the snapshotter holds {files.Count} file(s) unpacked on the host, such as:\n{string.Join('\n', files.Take(8))}");
        }
        finally
        {
            await node.RemovePodAsync(podId, token);
        }
    }

    /// <summary>Runs a runc pod of <paramref name="image"/>: its rootfs is unpacked on the host, by containerd.</summary>
    public async Task RunRuncPodAsync(string name, string image, CancellationToken token)
    {
        var (podConfig, podId) = await RunPodSandboxAsync(name, "runc", token);
        try
        {
            var logLines = await RunContainerAsync(podConfig, podId, name, image, token);
            Assert.Equal([$"{name} says hello"], logLines);
        }
        finally
        {
            await node.RemovePodAsync(podId, token);
        }
    }

    private async Task<(PodSandboxConfig Config, string Id)> RunPodSandboxAsync(string name, string handler, CancellationToken token)
    {
        var podConfig = node.PodConfig(name);
        podConfig.Annotations[RuntimeHandlerAnnotation] = handler;
        try
        {
            var podId = (await node.Runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = podConfig, RuntimeHandler = handler }, cancellationToken: token)).PodSandboxId;
            return (podConfig, podId);
        }
        catch (RpcException ex)
        {
            throw new RpcException(ex.Status, $"{ex.Status.Detail}\n{node.Describe()}");
        }
    }

    private async Task<string[]> RunContainerAsync(PodSandboxConfig podConfig, string podId, string name, string image, CancellationToken token)
    {
        await node.Images.PullImageAsync(new PullImageRequest { Image = new ImageSpec { Image = image }, SandboxConfig = podConfig }, cancellationToken: token);
        var containerId = (await node.Runtime.CreateContainerAsync(
            new CreateContainerRequest { PodSandboxId = podId, Config = CriNode.ContainerConfig(name, image, "sh", "-c", $"test -s /own.txt && echo '{name} says hello'"), SandboxConfig = podConfig },
            cancellationToken: token)).ContainerId;
        await node.Runtime.StartContainerAsync(new StartContainerRequest { ContainerId = containerId }, cancellationToken: token);
        var status = await node.WaitForExitAsync(containerId, token);
        Assert.True(status.ExitCode == 0, $"{name} exited {status.ExitCode}\n{node.Describe()}");
        return CriNode.ReadLogLines(status.LogPath);
    }
}
