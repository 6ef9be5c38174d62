using GuestPull.Api.Cri.V1;
using GuestPull.Testing;
using GuestPull.Testing.Cri;
using GuestPull.Testing.Traits;

namespace GuestPull.Shim.Tests.Process;

/// <summary>
/// The shim under containerd 1.6's CRI plugin with the guestpull snapshotter: a pod runs a container
/// whose image is pulled in the sandbox, ExecSync works, and removing the pod leaves nothing behind.
/// Needs root (namespaces, overlayfs, runc), as CI has.
/// </summary>
[Trait(Requires.Trait, Requires.Components)]
public sealed class ShimCriTests : IClassFixture<BusyboxImageFixture>
{
    private readonly BusyboxImageFixture _busybox;

    public ShimCriTests(BusyboxImageFixture busybox) => _busybox = busybox;

    [Fact]
    public async Task APodRunsHelloAndExecThroughCriAndIsRemovedCleanly()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        var ct = timeout.Token;
        await using var node = await CriNode.StartAsync(_busybox, new CriNodeOptions { GuestPullCommand = ["dotnet", ShimHarness.GuestPullDll] }, ct);
        var podConfig = node.PodConfig("shim-cri");
        var podId = (await node.Runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = podConfig, RuntimeHandler = CriNode.Handler }, cancellationToken: ct)).PodSandboxId;
        try
        {
            await node.Images.PullImageAsync(new PullImageRequest { Image = new ImageSpec { Image = node.BusyboxImage }, SandboxConfig = podConfig }, cancellationToken: ct);
            var hello = (await node.Runtime.CreateContainerAsync(
                new CreateContainerRequest { PodSandboxId = podId, Config = CriNode.ContainerConfig("hello", node.BusyboxImage, "sh", "-c", "echo hello; exit 4"), SandboxConfig = podConfig },
                cancellationToken: ct)).ContainerId;
            await node.Runtime.StartContainerAsync(new StartContainerRequest { ContainerId = hello }, cancellationToken: ct);
            var status = await node.WaitForExitAsync(hello, ct);
            Assert.True(status.ExitCode == 4, $"exit {status.ExitCode} {status.Reason} {status.Message}\n{node.Describe()}");
            Assert.Equal(["hello"], CriNode.ReadLogLines(status.LogPath));

            // As kubelet asks without shareProcessNamespace: the container's own PID namespace, so sleep is its
            // PID 1, ignores SIGTERM and dies of the SIGKILL that follows the stop timeout. (Without this option CRI
            // puts the container in the pause container's PID namespace and SIGTERM kills it: 143, as with runc.)
            var sleeperConfig = CriNode.ContainerConfig("sleeper", node.BusyboxImage, "sleep", "3600");
            sleeperConfig.Linux = new LinuxContainerConfig { SecurityContext = new LinuxContainerSecurityContext { NamespaceOptions = new NamespaceOption { Pid = NamespaceMode.Container, Ipc = NamespaceMode.Pod, Network = NamespaceMode.Node } } };
            var sleeper = (await node.Runtime.CreateContainerAsync(
                new CreateContainerRequest { PodSandboxId = podId, Config = sleeperConfig, SandboxConfig = podConfig },
                cancellationToken: ct)).ContainerId;
            await node.Runtime.StartContainerAsync(new StartContainerRequest { ContainerId = sleeper }, cancellationToken: ct);
            var exec = await node.Runtime.ExecSyncAsync(new ExecSyncRequest { ContainerId = sleeper, Cmd = { "sh", "-c", "echo out; echo err >&2; exit 3" }, Timeout = 60 }, cancellationToken: ct);
            Assert.Equal("out\n", exec.Stdout.ToStringUtf8());
            Assert.Equal("err\n", exec.Stderr.ToStringUtf8());
            Assert.Equal(3, exec.ExitCode);
            await node.Runtime.StopContainerAsync(new StopContainerRequest { ContainerId = sleeper, Timeout = 2 }, cancellationToken: ct);
            Assert.Equal(137, (await node.WaitForExitAsync(sleeper, ct)).ExitCode);
        }
        finally
        {
            await node.Runtime.StopPodSandboxAsync(new StopPodSandboxRequest { PodSandboxId = podId }, cancellationToken: ct);
            await node.Runtime.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = podId }, cancellationToken: ct);
        }

        Assert.Empty((await node.Runtime.ListPodSandboxAsync(new ListPodSandboxRequest(), cancellationToken: ct)).Items);
        while (Directory.Exists(Path.Combine(node.SharedRoot, podId)) || HasProcessMentioning(podId))
        {
            await Task.Delay(100, ct);
        }

        Assert.DoesNotContain(File.ReadLines("/proc/self/mountinfo"), line => line.Contains(node.SharedRoot, StringComparison.Ordinal));
    }

    private static bool HasProcessMentioning(string text) =>
        Directory.EnumerateDirectories("/proc").Any(entry =>
        {
            try
            {
                return int.TryParse(Path.GetFileName(entry), out _) && File.ReadAllText(Path.Combine(entry, "cmdline")).Contains(text, StringComparison.Ordinal);
            }
            catch (IOException)
            {
                return false;
            }
        });
}
