using GuestPull.Api.Cri.V1;
using GuestPull.Testing;
using GuestPull.Testing.Cri;
using GuestPull.Testing.Traits;

namespace GuestPull.IntegrationTests.Cri;

/// <summary>
/// Images unpacked on the host: a runc pod, and a guestpull pod, which still pulls its image in the
/// guest (the proxy snapshotter forces the guest-pull volume on host-unpacked layers). A runc pod on the same containerd as the guestpull runtime. containerd 1.6 has one global
/// snapshotter, so a CRI pull for a runc pod also goes through the proxy snapshotter and leaves no
/// layer on the host; what runc runs must have been unpacked on the host by another path (here
/// <c>ctr images pull</c>, which unpacks without CRI's labels, so the snapshotter makes ordinary
/// overlay snapshots). containerd 1.7's runtime-specific snapshotter removes the limitation. This node
/// keeps busybox unpacked on the host from the start: a chain once pulled through the proxy path holds
/// empty layers, and a later host unpack of an image on the same base would reuse them (the
/// "same image in two snapshotters" problem of nydus #539).
/// </summary>
[Trait(Requires.Trait, Requires.Components)]
[Collection(CriCollection.Name)]
public sealed class RuncPodTests(CriNodeFixture fixture) : IClassFixture<CriNodeFixture>
{
    private CriNode Node => fixture.Node;

    [Fact]
    public async Task RuncPod_RunsAnImageUnpackedOnTheHost_AndVerifyReportsItsRootfsOnTheHost()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        var token = timeout.Token;
        await UnpackOnTheHostAsync(token);

        var podConfig = Node.PodConfig("runc");
        var podId = (await Node.Runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = podConfig, RuntimeHandler = "runc" }, cancellationToken: token)).PodSandboxId;
        try
        {
            var containerId = (await Node.Runtime.CreateContainerAsync(
                new CreateContainerRequest { PodSandboxId = podId, Config = CriNode.ContainerConfig("hello", Node.BusyboxImage, "sh", "-c", "echo hello from runc"), SandboxConfig = podConfig },
                cancellationToken: token)).ContainerId;
            await Node.Runtime.StartContainerAsync(new StartContainerRequest { ContainerId = containerId }, cancellationToken: token);
            var status = await Node.WaitForExitAsync(containerId, token);
            Assert.Equal(0, status.ExitCode);
            Assert.Equal(["hello from runc"], CriNode.ReadLogLines(status.LogPath));

            // verify refuses to call a runc pod "pulled in the guest".
            var verify = await Node.VerifyAsync(podId);
            Assert.Equal(1, verify.ExitCode);
            Assert.Contains("runtime handler 'runc'", verify.StandardOutput, StringComparison.Ordinal);
        }
        finally
        {
            await Node.RemovePodAsync(podId, token);
        }

        // The operator's smoke test drives the same CRI calls; with runc the verify check is skipped.
        var smoke = await Node.SmokeTestAsync(["--runtime-handler", "runc", "--no-verify"], Node.BusyboxImage, "sh", "-c", "echo smoke from runc");
        Assert.True(smoke.ExitCode == 0, smoke.StandardOutput + smoke.StandardError);
        Assert.Contains("  smoke from runc", smoke.StandardOutput, StringComparison.Ordinal);
        var pods = await Node.Runtime.ListPodSandboxAsync(new ListPodSandboxRequest(), cancellationToken: token);
        Assert.Empty(pods.Items);
    }

    [Fact]
    public async Task SmokeTest_OfAMissingImage_FailsWithContainerdsError_AndRemovesItsPod()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var token = timeout.Token;
        await UnpackOnTheHostAsync(token);
        var smoke = await Node.SmokeTestAsync(["--runtime-handler", "runc", "--no-verify"], $"{Node.Registry.Host}/no-such-image:1", "true");
        Assert.Equal(1, smoke.ExitCode);
        Assert.Contains("the smoke-test pod failed", smoke.StandardError, StringComparison.Ordinal);
        Assert.Contains("no-such-image", smoke.StandardError, StringComparison.Ordinal);
        var pods = await Node.Runtime.ListPodSandboxAsync(new ListPodSandboxRequest(), cancellationToken: token);
        Assert.Empty(pods.Items);
    }

    [Fact]
    public async Task ImageUnpackedOnTheHost_IsStillPulledInTheGuest_AndVerifyPasses()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        var token = timeout.Token;
        await UnpackOnTheHostAsync(token);
        var marker = Guid.NewGuid().ToString();
        using var work = TempDirectory.Create("cri-host-unpacked");
        var layout = fixture.Busybox.CopyLayoutTo(work.Combine("layout"));
        await ImageBuilder.AddLayerAsync(layout, BusyboxImageFixture.Tag, rootfs => File.WriteAllText(Path.Combine(rootfs, "unpacked-on-host.txt"), marker), token);
        var image = $"{Node.Registry.Host}/host-unpacked:1";
        await ImageBuilder.PushAsync(layout, BusyboxImageFixture.Tag, Node.Registry, "host-unpacked:1", cancellationToken: token);
        // ctr unpacks without CRI's labels: ordinary overlay snapshots, the image's files on the host.
        var pulled = await Node.Containerd.RunCtrAsync(["images", "pull", "--plain-http", "--snapshotter", "guestpull", image], "k8s.io", new ProcessRunOptions { ThrowOnFailure = false }, token);
        Assert.True(pulled.ExitCode == 0, pulled.StandardError);

        var podConfig = Node.PodConfig("host-unpacked");
        var podId = (await Node.Runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = podConfig, RuntimeHandler = CriNode.Handler }, cancellationToken: token)).PodSandboxId;
        try
        {
            var containerId = (await Node.Runtime.CreateContainerAsync(
                new CreateContainerRequest { PodSandboxId = podId, Config = CriNode.ContainerConfig("from-host", image, "sh", "-c", "read -r line < /unpacked-on-host.txt; echo \"$line\""), SandboxConfig = podConfig },
                cancellationToken: token)).ContainerId;
            await Node.Runtime.StartContainerAsync(new StartContainerRequest { ContainerId = containerId }, cancellationToken: token);
            var status = await Node.WaitForExitAsync(containerId, token);
            Assert.True(status.ExitCode == 0, $"exit {status.ExitCode}\n{Node.Describe()}");
            Assert.Equal([marker], CriNode.ReadLogLines(status.LogPath));

            // The proxy snapshotter gave the host-unpacked chain the guest-pull volume anyway (nydus's
            // treatAsProxyDriver): the agent pulled the image in the sandbox, and nothing of it is on the host.
            var verify = await Node.VerifyAsync(podId);
            Assert.True(verify.ExitCode == 0, verify.StandardOutput);
            Assert.DoesNotContain("ON THE HOST", verify.StandardOutput, StringComparison.Ordinal);
        }
        finally
        {
            await Node.RemovePodAsync(podId, token);
        }

        Assert.False(Directory.Exists(Path.Combine(Node.SharedRoot, podId)), "the sandbox's shared directory is still there");
        Assert.Empty(HostTraces.MountsUnder(Node.SharedRoot));
    }

    // ctr unpacks without CRI's labels, so the proxy snapshotter makes ordinary overlay snapshots runc can use.
    private async Task UnpackOnTheHostAsync(CancellationToken token)
    {
        foreach (var image in new[] { Node.PauseImage, Node.BusyboxImage })
        {
            var pulled = await Node.Containerd.RunCtrAsync(["images", "pull", "--plain-http", "--snapshotter", "guestpull", image], "k8s.io", new ProcessRunOptions { ThrowOnFailure = false }, token);
            Assert.True(pulled.ExitCode == 0, pulled.StandardError);
        }
    }
}
