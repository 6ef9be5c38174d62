using System.Diagnostics;
using Grpc.Core;
using GuestPull.Api.Cri.V1;
using GuestPull.IntegrationTests.Cri;
using GuestPull.Testing;
using GuestPull.Testing.Cri;
using GuestPull.Testing.Traits;

namespace GuestPull.IntegrationTests.Vm;

/// <summary>
/// The data path with the real boundary: kubelet's CRI calls → containerd 1.6 → guestpull snapshotter (no
/// layer on the host) → containerd-shim-guestpull-v2 → a QEMU VM per pod (TCG here) → guestpull-agent
/// pulling into guest memory → runc in the guest. Needs root, QEMU and the built guest image.
/// </summary>
[Trait(Requires.Trait, Requires.Components)]
[Collection(CriCollection.Name)]
public sealed class VmPodTests(VmCriNodeFixture fixture) : IClassFixture<VmCriNodeFixture>
{
    private CriNode Node => fixture.Node;

    [Fact]
    public async Task APodsContainersRunInItsVm_FromOnePullInTheGuest_AndNoFileOfTheImageIsOnTheHost()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        var token = timeout.Token;
        var marker = "guestpull-marker-" + Guid.NewGuid().ToString("N");
        var (image, ownLayer) = await fixture.PushImageOfItsOwnAsync("vm-marker", marker, marker, token);
        await Node.Registry.SyncAccessLogAsync(token);
        Node.Registry.ClearRequests();

        var podConfig = Node.PodConfig("vm");
        var podId = (await Node.Runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = podConfig, RuntimeHandler = CriNode.Handler }, cancellationToken: token)).PodSandboxId;
        try
        {
            Assert.Single(QemuProcessesOf(podId));
            await Node.Images.PullImageAsync(new PullImageRequest { Image = new ImageSpec { Image = image }, SandboxConfig = podConfig }, cancellationToken: token);

            var hello = await RunToExitAsync(podId, podConfig, "hello", image, token, "sh", "-c", $"test -f /{marker} && echo hello from the vm");
            Assert.True(hello.ExitCode == 0, $"exit {hello.ExitCode} {hello.Reason} {hello.Message}\n{Node.Describe()}");
            Assert.Equal(["hello from the vm"], CriNode.ReadLogLines(hello.LogPath));
            var three = await RunToExitAsync(podId, podConfig, "three", image, token, "sh", "-c", "echo bye >&2; exit 3");
            Assert.Equal(3, three.ExitCode);
            Assert.Equal(["bye"], CriNode.ReadLogLines(three.LogPath));

            var sleeper = (await Node.Runtime.CreateContainerAsync(
                new CreateContainerRequest { PodSandboxId = podId, Config = CriNode.ContainerConfig("sleeper", image, "sleep", "3600"), SandboxConfig = podConfig },
                cancellationToken: token)).ContainerId;
            await Node.Runtime.StartContainerAsync(new StartContainerRequest { ContainerId = sleeper }, cancellationToken: token);
            var exec = await Node.Runtime.ExecSyncAsync(new ExecSyncRequest { ContainerId = sleeper, Cmd = { "sh", "-c", $"cat /{marker}; echo; echo err >&2; exit 3" }, Timeout = 120 }, cancellationToken: token);
            Assert.Equal(marker + "\n", exec.Stdout.ToStringUtf8());
            Assert.Equal("err\n", exec.Stderr.ToStringUtf8());
            Assert.Equal(3, exec.ExitCode);

            // While the container runs, its image is in the guest's memory only.
            Assert.Empty(await FilesNamedOnTheHostAsync(marker, token));

            // Three containers, one pull: the layer was fetched once, by the agent in the guest.
            await Node.Registry.SyncAccessLogAsync(token);
            var gets = Node.Registry.Requests.Where(r => r.IsBlobGet && r.BlobDigest == ownLayer && r.Status is 200 or 206).ToList();
            Assert.Single(gets);
            Assert.StartsWith("guestpull/", gets[0].UserAgent, StringComparison.Ordinal);

            var verify = await Node.VerifyAsync(podId);
            Assert.True(verify.ExitCode == 0, $"guestpull verify failed:\n{verify.StandardOutput}\n{verify.StandardError}");
            Assert.Contains("pulled in the guest", verify.StandardOutput, StringComparison.Ordinal);
            Assert.Contains("isolation: virtual machine (QEMU pid", verify.StandardOutput, StringComparison.Ordinal);

            await Node.Runtime.StopContainerAsync(new StopContainerRequest { ContainerId = sleeper, Timeout = 2 }, cancellationToken: token);
            Assert.Equal(137, (await Node.WaitForExitAsync(sleeper, token)).ExitCode);
        }
        finally
        {
            await Node.RemovePodAsync(podId, token);
        }

        await AssertNothingLeftAsync(podId, token);
    }

    [Fact]
    public async Task ATamperedLayerFailsWithTheAgentsDigestError_AndTheVmGoesAway()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        var token = timeout.Token;
        var (image, ownLayer) = await fixture.PushImageOfItsOwnAsync("vm-tampered", "own.txt", "own.txt", token);
        var podConfig = Node.PodConfig("vm-tampered");
        var podId = (await Node.Runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = podConfig, RuntimeHandler = CriNode.Handler }, cancellationToken: token)).PodSandboxId;
        try
        {
            await Node.Images.PullImageAsync(new PullImageRequest { Image = new ImageSpec { Image = image }, SandboxConfig = podConfig }, cancellationToken: token);
            Node.Registry.Storage.TamperBlob(ownLayer);
            var containerId = (await Node.Runtime.CreateContainerAsync(
                new CreateContainerRequest { PodSandboxId = podId, Config = CriNode.ContainerConfig("tampered", image, "true"), SandboxConfig = podConfig },
                cancellationToken: token)).ContainerId;
            var error = await Record.ExceptionAsync(() => Node.Runtime.StartContainerAsync(new StartContainerRequest { ContainerId = containerId }, cancellationToken: token).ResponseAsync);

            var rpc = Assert.IsType<RpcException>(error);
            Assert.Contains(ownLayer, rpc.Status.Detail, StringComparison.Ordinal);
        }
        finally
        {
            await Node.RemovePodAsync(podId, token);
        }

        await AssertNothingLeftAsync(podId, token);
    }

    [Fact]
    public async Task KillingQemuEndsTheRunningContainerWith137_AndThePodIsRemovedCleanly()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        var token = timeout.Token;
        var podConfig = Node.PodConfig("vm-killed");
        var podId = (await Node.Runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = podConfig, RuntimeHandler = CriNode.Handler }, cancellationToken: token)).PodSandboxId;
        try
        {
            await Node.Images.PullImageAsync(new PullImageRequest { Image = new ImageSpec { Image = Node.BusyboxImage }, SandboxConfig = podConfig }, cancellationToken: token);
            var containerId = (await Node.Runtime.CreateContainerAsync(
                new CreateContainerRequest { PodSandboxId = podId, Config = CriNode.ContainerConfig("doomed", Node.BusyboxImage, "sleep", "3600"), SandboxConfig = podConfig },
                cancellationToken: token)).ContainerId;
            await Node.Runtime.StartContainerAsync(new StartContainerRequest { ContainerId = containerId }, cancellationToken: token);

            var qemu = Assert.Single(QemuProcessesOf(podId));
            Process.GetProcessById(qemu).Kill();

            var status = await Node.WaitForExitAsync(containerId, token);
            Assert.Equal(137, status.ExitCode);
        }
        finally
        {
            await Node.RemovePodAsync(podId, token);
        }

        await AssertNothingLeftAsync(podId, token);
    }

    [Fact]
    public async Task AnImageEncryptedForTheShimsKeyIsDecryptedInTheVm_AndOneForAnotherRecipientFailsNamingItsLayer()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        var token = timeout.Token;
        var mine = await fixture.PushEncryptedImageAsync("vm-enc-rsa", fixture.Keys.RsaPublic, token);
        var theirs = await fixture.PushEncryptedImageAsync("vm-enc-second", fixture.Keys.SecondPublic, token);
        var podConfig = Node.PodConfig("vm-encrypted");
        var podId = (await Node.Runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = podConfig, RuntimeHandler = CriNode.Handler }, cancellationToken: token)).PodSandboxId;
        try
        {
            // The key came in the VM's initdata: the shim's config is the only place it is on the host.
            await Node.Images.PullImageAsync(new PullImageRequest { Image = new ImageSpec { Image = mine }, SandboxConfig = podConfig }, cancellationToken: token);
            var decrypted = await RunToExitAsync(podId, podConfig, "decrypted", mine, token, "sh", "-c", "cat /own.txt >/dev/null && echo decrypted in the vm");
            Assert.True(decrypted.ExitCode == 0, $"exit {decrypted.ExitCode} {decrypted.Reason} {decrypted.Message}\n{Node.Describe()}");
            Assert.Equal(["decrypted in the vm"], CriNode.ReadLogLines(decrypted.LogPath));

            await Node.Images.PullImageAsync(new PullImageRequest { Image = new ImageSpec { Image = theirs }, SandboxConfig = podConfig }, cancellationToken: token);
            var refused = (await Node.Runtime.CreateContainerAsync(
                new CreateContainerRequest { PodSandboxId = podId, Config = CriNode.ContainerConfig("no-key", theirs, "true"), SandboxConfig = podConfig },
                cancellationToken: token)).ContainerId;
            var error = await Record.ExceptionAsync(() => Node.Runtime.StartContainerAsync(new StartContainerRequest { ContainerId = refused }, cancellationToken: token).ResponseAsync);
            var rpc = Assert.IsType<RpcException>(error);
            using var manifest = System.Text.Json.JsonDocument.Parse(await Skopeo.InspectRawAsync(Node.Registry, "vm-enc-second:1", cancellationToken: token));
            var layers = manifest.RootElement.GetProperty("layers").EnumerateArray().Select(l => l.GetProperty("digest").GetString()!).ToList();
            Assert.True(layers.Any(layer => rpc.Status.Detail.Contains(layer, StringComparison.Ordinal)), $"no layer digest in the error:\n{rpc.Status.Detail}");
            Assert.Empty(HostTraces.FilesUnder(Path.Combine(Node.SnapshotterRoot, "snapshots")));
        }
        finally
        {
            await Node.RemovePodAsync(podId, token);
        }

        await AssertNothingLeftAsync(podId, token);
    }

    [Fact]
    public async Task AnImageWhoseUserIsNotRootRunsInItsVm()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        var token = timeout.Token;
        var (image, _) = await fixture.PushImageOfItsOwnAsync(
            "vm-nonroot", token: token, config: new ImageConfigOptions { User = "1000", Cmd = ["sh", "-c", "id -u && ls / >/dev/null && echo listed"] });
        var podConfig = Node.PodConfig("vm-nonroot");
        var podId = (await Node.Runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = podConfig, RuntimeHandler = CriNode.Handler }, cancellationToken: token)).PodSandboxId;
        try
        {
            await Node.Images.PullImageAsync(new PullImageRequest { Image = new ImageSpec { Image = image }, SandboxConfig = podConfig }, cancellationToken: token);
            var status = await RunToExitAsync(podId, podConfig, "nonroot", image, token);
            Assert.True(status.ExitCode == 0, $"exit {status.ExitCode} {status.Reason} {status.Message}\n{Node.Describe()}");
            Assert.Equal(["1000", "listed"], CriNode.ReadLogLines(status.LogPath));
        }
        finally
        {
            await Node.RemovePodAsync(podId, token);
        }

        await AssertNothingLeftAsync(podId, token);
    }

    private async Task<ContainerStatus> RunToExitAsync(string podId, PodSandboxConfig podConfig, string name, string image, CancellationToken token, params string[] command)
    {
        var id = (await Node.Runtime.CreateContainerAsync(
            new CreateContainerRequest { PodSandboxId = podId, Config = CriNode.ContainerConfig(name, image, command), SandboxConfig = podConfig },
            cancellationToken: token)).ContainerId;
        await Node.Runtime.StartContainerAsync(new StartContainerRequest { ContainerId = id }, cancellationToken: token);
        return await Node.WaitForExitAsync(id, token);
    }


    private async Task AssertNothingLeftAsync(string podId, CancellationToken token)
    {
        Assert.Empty(await HostTraces.WaitUntilGoneAsync(() => HostTraces.ProcessesMentioning(podId), token));
        Assert.Empty(QemuProcessesOf(podId));
        Assert.False(Directory.Exists(Path.Combine(Node.ShimStateRoot, "k8s.io", podId)), "the pod's shim state directory is still there");
        Assert.Empty(HostTraces.MountsUnder(Node.SharedRoot));
    }

    // QEMU's agent chardev names the pod's state directory, and so its id.
    private static List<int> QemuProcessesOf(string podId) =>
        [.. HostTraces.ProcessesMentioning(podId)
            .Where(line => line.Contains("qemu-system", StringComparison.Ordinal))
            .Select(line => int.Parse(line[..line.IndexOf(':', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture))];

    // Every file system of the host, /proc and /sys aside: the marker's name must be nowhere.
    private static async Task<IReadOnlyList<string>> FilesNamedOnTheHostAsync(string name, CancellationToken token)
    {
        var result = await ProcessRunner.RunAsync(
            "find",
            ["/", "(", "-path", "/proc", "-o", "-path", "/sys", ")", "-prune", "-o", "-name", name, "-print"],
            new ProcessRunOptions { ThrowOnFailure = false, Timeout = TimeSpan.FromMinutes(3) },
            token);
        return [.. result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries)];
    }
}
