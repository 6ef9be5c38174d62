using Grpc.Core;
using GuestPull.Api.Cri.V1;
using GuestPull.Testing;
using GuestPull.Testing.Cri;
using GuestPull.Testing.Traits;

namespace GuestPull.IntegrationTests.Cri;

/// <summary>
/// The whole data path on one node: kubelet's CRI calls → containerd 1.6 → guestpull snapshotter (no
/// layer on the host) → containerd-shim-guestpull-v2 → guestpull agent in a namespace sandbox → the
/// test registry. Needs root (namespaces, overlayfs, runc).
/// </summary>
[Trait(Requires.Trait, Requires.Components)]
[Collection(CriCollection.Name)]
public sealed class GuestPullPodTests(CriNodeFixture fixture) : IClassFixture<CriNodeFixture>
{
    private CriNode Node => fixture.Node;

    [Fact]
    public async Task Pod_RunsItsContainer_FromAnImagePulledInTheGuest_AndLeavesNothingOnTheHost()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        var token = timeout.Token;
        var layers = HostTraces.LayerDigests(fixture.Busybox.LayoutDirectory, BusyboxImageFixture.Tag);
        await Node.Registry.SyncAccessLogAsync(token);
        Node.Registry.ClearRequests();

        var podConfig = Node.PodConfig("hello");
        var podId = (await Node.Runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = podConfig, RuntimeHandler = CriNode.Handler }, cancellationToken: token)).PodSandboxId;
        try
        {
            await Node.Images.PullImageAsync(new PullImageRequest { Image = new ImageSpec { Image = Node.BusyboxImage }, SandboxConfig = podConfig }, cancellationToken: token);
            await Node.Registry.SyncAccessLogAsync(token);
            Assert.All(layers, layer => Assert.DoesNotContain(Node.Registry.Requests, r => r.IsBlobGet && r.BlobDigest == layer && r.UserAgent.StartsWith("containerd", StringComparison.Ordinal)));

            var containerId = (await Node.Runtime.CreateContainerAsync(
                new CreateContainerRequest { PodSandboxId = podId, Config = CriNode.ContainerConfig("hello", Node.BusyboxImage, "sh", "-c", "echo hello"), SandboxConfig = podConfig },
                cancellationToken: token)).ContainerId;
            await Node.Runtime.StartContainerAsync(new StartContainerRequest { ContainerId = containerId }, cancellationToken: token);
            var status = await Node.WaitForExitAsync(containerId, token);

            Assert.Equal(0, status.ExitCode);
            Assert.Equal(["hello"], CriNode.ReadLogLines(status.LogPath));

            // The layers were fetched, and only by the agent in the sandbox.
            await Node.Registry.SyncAccessLogAsync(token);
            foreach (var layer in layers)
            {
                var gets = Node.Registry.Requests.Where(r => r.IsBlobGet && r.BlobDigest == layer).ToList();
                Assert.NotEmpty(gets);
                Assert.All(gets, r => Assert.StartsWith("guestpull/", r.UserAgent, StringComparison.Ordinal));
            }

            var verify = await Node.VerifyAsync(podId);
            Assert.True(verify.ExitCode == 0, $"guestpull verify failed:\n{verify.StandardOutput}\n{verify.StandardError}\n{Node.Describe()}");
            Assert.Contains("PASS", verify.StandardOutput, StringComparison.Ordinal);
            Assert.Contains("pulled in the guest", verify.StandardOutput, StringComparison.Ordinal);
            Assert.Contains("isolation: host namespaces (", verify.StandardOutput, StringComparison.Ordinal);

            // The snapshotter holds directories for the image's layers and the container, but no file.
            Assert.Empty(HostTraces.FilesUnder(Path.Combine(Node.SnapshotterRoot, "snapshots")));
        }
        finally
        {
            await Node.RemovePodAsync(podId, token);
        }

        Assert.False(Directory.Exists(Path.Combine(Node.SharedRoot, podId)), "the sandbox's shared directory is still there");
        Assert.Empty(HostTraces.MountsUnder(Node.SharedRoot));
        Assert.Empty(await HostTraces.WaitUntilGoneAsync(() => HostTraces.ProcessesMentioning(podId), token));
    }

    [Fact]
    public async Task SmokeTest_RunsAPodInTheGuest_PrintsItsOutputAndAPassingVerify()
    {
        var smoke = await Node.SmokeTestAsync([], Node.BusyboxImage, "sh", "-c", "echo smoke from the guest");
        Assert.True(smoke.ExitCode == 0, $"{smoke.StandardOutput}\n{smoke.StandardError}\n{Node.Describe()}");
        Assert.Contains("  smoke from the guest", smoke.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("PASS: no rootfs of this pod is on the host", smoke.StandardOutput, StringComparison.Ordinal);
        var pods = await Node.Runtime.ListPodSandboxAsync(new ListPodSandboxRequest());
        Assert.Empty(pods.Items);
    }

    [Fact]
    public async Task ExecSync_InALongRunningContainer_ReturnsItsOutputAndStatus()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        var token = timeout.Token;
        var podConfig = Node.PodConfig("exec");
        var podId = (await Node.Runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = podConfig, RuntimeHandler = CriNode.Handler }, cancellationToken: token)).PodSandboxId;
        try
        {
            await Node.Images.PullImageAsync(new PullImageRequest { Image = new ImageSpec { Image = Node.BusyboxImage }, SandboxConfig = podConfig }, cancellationToken: token);
            var containerId = (await Node.Runtime.CreateContainerAsync(
                new CreateContainerRequest { PodSandboxId = podId, Config = CriNode.ContainerConfig("sleeper", Node.BusyboxImage, "sleep", "3600"), SandboxConfig = podConfig },
                cancellationToken: token)).ContainerId;
            await Node.Runtime.StartContainerAsync(new StartContainerRequest { ContainerId = containerId }, cancellationToken: token);

            var exec = await Node.Runtime.ExecSyncAsync(
                new ExecSyncRequest { ContainerId = containerId, Cmd = { "sh", "-c", "echo exec-out; echo exec-err >&2; exit 3" }, Timeout = 60 },
                cancellationToken: token);
            Assert.Equal("exec-out\n", exec.Stdout.ToStringUtf8());
            Assert.Equal("exec-err\n", exec.Stderr.ToStringUtf8());
            Assert.Equal(3, exec.ExitCode);

            await Node.Runtime.StopContainerAsync(new StopContainerRequest { ContainerId = containerId, Timeout = 2 }, cancellationToken: token);
            var status = await Node.WaitForExitAsync(containerId, token);
            // The container has its own PID namespace (kubelet's default), where sleep is PID 1 and ignores
            // SIGTERM: StopContainer kills it after the 2 s grace period.
            Assert.Equal(128 + 9, status.ExitCode);
        }
        finally
        {
            await Node.RemovePodAsync(podId, token);
        }
    }

    [Fact]
    public async Task TwoContainersOfOnePod_SharingAnImage_PullItOnce()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        var token = timeout.Token;
        var layers = HostTraces.LayerDigests(fixture.Busybox.LayoutDirectory, BusyboxImageFixture.Tag);
        await Node.Registry.SyncAccessLogAsync(token);
        Node.Registry.ClearRequests();

        var podConfig = Node.PodConfig("two");
        var podId = (await Node.Runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = podConfig, RuntimeHandler = CriNode.Handler }, cancellationToken: token)).PodSandboxId;
        try
        {
            await Node.Images.PullImageAsync(new PullImageRequest { Image = new ImageSpec { Image = Node.BusyboxImage }, SandboxConfig = podConfig }, cancellationToken: token);
            var ids = new List<string>();
            foreach (var name in new[] { "first", "second" })
            {
                var id = (await Node.Runtime.CreateContainerAsync(
                    new CreateContainerRequest { PodSandboxId = podId, Config = CriNode.ContainerConfig(name, Node.BusyboxImage, "sh", "-c", $"echo {name}"), SandboxConfig = podConfig },
                    cancellationToken: token)).ContainerId;
                await Node.Runtime.StartContainerAsync(new StartContainerRequest { ContainerId = id }, cancellationToken: token);
                ids.Add(id);
            }

            var first = await Node.WaitForExitAsync(ids[0], token);
            var second = await Node.WaitForExitAsync(ids[1], token);
            Assert.Equal(["first"], CriNode.ReadLogLines(first.LogPath));
            Assert.Equal(["second"], CriNode.ReadLogLines(second.LogPath));

            await Node.Registry.SyncAccessLogAsync(token);
            foreach (var layer in layers)
            {
                Assert.Equal(1, Node.Registry.Requests.Count(r => r.IsBlobGet && r.BlobDigest == layer && r.Status is 200 or 206));
            }
        }
        finally
        {
            await Node.RemovePodAsync(podId, token);
        }
    }

    [Fact]
    public async Task ImageGoneFromTheRegistry_FailsStartContainer_WithTheAgentsError_AndThePodStillGoesAway()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        // The host resolves the image (manifest and config) at PullImage; the repository then disappears.
        var (image, _) = await fixture.PushImageOfItsOwnAsync("gone", token: timeout.Token);
        var detail = await StartFailsAsync("gone", image, () =>
        {
            Directory.Delete(Path.Combine(Node.Registry.Storage.RootDirectory, "docker", "registry", "v2", "repositories", "gone"), recursive: true);
            return Task.CompletedTask;
        }, timeout.Token);

        Assert.Contains("gone", detail, StringComparison.Ordinal);
        Assert.Contains("not found", detail, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task TamperedLayer_FailsStartContainer_NamingTheDigest_AndThePodStillGoesAway()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        var (image, ownLayer) = await fixture.PushImageOfItsOwnAsync("tampered", token: timeout.Token);
        var detail = await StartFailsAsync("tampered", image, () =>
        {
            Node.Registry.Storage.TamperBlob(ownLayer);
            return Task.CompletedTask;
        }, timeout.Token);

        Assert.Contains(ownLayer, detail, StringComparison.Ordinal);
    }


    /// <summary>
    /// PullImage on the host, then <paramref name="breakImage"/>, then a container of the image: CRI's
    /// CreateContainer only records it; the runtime sees it at StartContainer (task Create), which is
    /// when the agent pulls (Kata behaves the same). Returns the error StartContainer gave, after
    /// checking the pod still goes away without a trace.
    /// </summary>
    private async Task<string> StartFailsAsync(string name, string image, Func<Task> breakImage, CancellationToken token)
    {
        var podConfig = Node.PodConfig(name);
        var podId = (await Node.Runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = podConfig, RuntimeHandler = CriNode.Handler }, cancellationToken: token)).PodSandboxId;
        string detail;
        try
        {
            await Node.Images.PullImageAsync(new PullImageRequest { Image = new ImageSpec { Image = image }, SandboxConfig = podConfig }, cancellationToken: token);
            await breakImage();
            var containerId = (await Node.Runtime.CreateContainerAsync(
                new CreateContainerRequest { PodSandboxId = podId, Config = CriNode.ContainerConfig(name, image, "true"), SandboxConfig = podConfig },
                cancellationToken: token)).ContainerId;
            var error = await Record.ExceptionAsync(() => Node.Runtime.StartContainerAsync(new StartContainerRequest { ContainerId = containerId }, cancellationToken: token).ResponseAsync);
            await Node.Registry.SyncAccessLogAsync(token);
            Assert.True(error is RpcException, $"StartContainer succeeded; registry requests:\n{string.Join('\n', Node.Registry.Requests.Select(r => $"{r.Method} {r.Target} {r.Status} {r.UserAgent}"))}\n{Node.Describe()}");
            detail = ((RpcException)error).Status.Detail;
        }
        finally
        {
            await Node.RemovePodAsync(podId, token);
        }

        Assert.False(Directory.Exists(Path.Combine(Node.SharedRoot, podId)));
        Assert.Empty(await HostTraces.WaitUntilGoneAsync(() => HostTraces.ProcessesMentioning(podId), token));
        return detail;
    }
}
