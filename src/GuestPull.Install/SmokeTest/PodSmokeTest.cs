using System.Globalization;
using Grpc.Core;
using GuestPull.Install.Verify;
using GuestPull.Api.Cri.V1;
using GuestPull.Linux;

namespace GuestPull.Install.SmokeTest;

/// <summary>
/// Runs one short-lived pod through containerd's CRI service the way kubelet would (RunPodSandbox,
/// PullImage, CreateContainer, StartContainer), collects the container's log, checks where its
/// rootfs was made, and removes the pod whatever happened. What an operator runs after installing
/// GuestPull on a node; crictl is not packaged in Debian bookworm.
/// </summary>
/// <param name="runtime">containerd's CRI runtime service.</param>
/// <param name="images">containerd's CRI image service.</param>
/// <param name="verifier">Checks the pod before it is removed, or null to skip the check.</param>
public sealed class PodSmokeTest(RuntimeService.RuntimeServiceClient runtime, ImageService.ImageServiceClient images, SandboxVerifier? verifier)
{
    /// <summary>Runs the pod to its end and removes it.</summary>
    /// <param name="settings">The image, command, runtime handler and limits.</param>
    /// <param name="progress">Told of each CRI step as it starts.</param>
    /// <param name="cancellationToken">Abandons the test (the pod is still removed).</param>
    /// <returns>The container's exit code and output, and the verification report.</returns>
    public async Task<SmokeTestResult> RunAsync(SmokeTestSettings settings, Action<string> progress, CancellationToken cancellationToken)
    {
        var uid = Guid.NewGuid().ToString("N");
        var podConfig = new PodSandboxConfig
        {
            Metadata = new PodSandboxMetadata { Name = "guestpull-smoke-test-" + uid[..8], Namespace = "default", Uid = uid },
            LogDirectory = Directory.CreateDirectory(Path.Combine(settings.LogDirectory, uid)).FullName,
            // On the node's network, so the pod needs no CNI; such a pod must not set a hostname.
            Linux = new LinuxPodSandboxConfig
            {
                SecurityContext = new LinuxSandboxSecurityContext
                {
                    NamespaceOptions = new NamespaceOption { Network = NamespaceMode.Node, Pid = NamespaceMode.Container, Ipc = NamespaceMode.Pod },
                },
            },
        };

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(settings.Timeout);
        var token = timeout.Token;
        progress($"RunPodSandbox (runtime handler {settings.RuntimeHandler})");
        var sandboxId = (await runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = podConfig, RuntimeHandler = settings.RuntimeHandler }, cancellationToken: token).ConfigureAwait(false)).PodSandboxId;
        try
        {
            progress($"PullImage {settings.Image}");
            await images.PullImageAsync(new PullImageRequest { Image = new ImageSpec { Image = settings.Image }, SandboxConfig = podConfig }, cancellationToken: token).ConfigureAwait(false);

            var config = new ContainerConfig
            {
                Metadata = new ContainerMetadata { Name = "smoke-test" },
                Image = new ImageSpec { Image = settings.Image },
                LogPath = "smoke-test.log",
                Linux = new LinuxContainerConfig
                {
                    // kubelet's defaults for a pod on the node's network without shareProcessNamespace.
                    SecurityContext = new LinuxContainerSecurityContext { NamespaceOptions = new NamespaceOption { Network = NamespaceMode.Node, Pid = NamespaceMode.Container, Ipc = NamespaceMode.Pod } },
                },
            };
            config.Command.Add(settings.Command);
            progress("CreateContainer");
            var containerId = (await runtime.CreateContainerAsync(new CreateContainerRequest { PodSandboxId = sandboxId, Config = config, SandboxConfig = podConfig }, cancellationToken: token).ConfigureAwait(false)).ContainerId;
            progress("StartContainer");
            await runtime.StartContainerAsync(new StartContainerRequest { ContainerId = containerId }, cancellationToken: token).ConfigureAwait(false);
            var status = await WaitForExitAsync(containerId, token).ConfigureAwait(false);
            var output = ReadLog(status.LogPath);

            SandboxVerification? verification = null;
            if (verifier is not null)
            {
                progress("verify");
                verification = await verifier.VerifyAsync(sandboxId, token).ConfigureAwait(false);
            }

            return new SmokeTestResult(sandboxId, containerId, status.ExitCode, output, verification);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException(string.Create(CultureInfo.InvariantCulture, $"the smoke-test pod did not finish within {settings.Timeout.TotalSeconds:F0} s"));
        }
        finally
        {
            progress("StopPodSandbox, RemovePodSandbox");
            // The pod goes away even when the caller gave up: a smoke test must not leave one behind.
            using var cleanup = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await runtime.StopPodSandboxAsync(new StopPodSandboxRequest { PodSandboxId = sandboxId }, cancellationToken: cleanup.Token).ConfigureAwait(false);
            await runtime.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = sandboxId }, cancellationToken: cleanup.Token).ConfigureAwait(false);
            TryDelete(podConfig.LogDirectory);
        }
    }

    private async Task<ContainerStatus> WaitForExitAsync(string containerId, CancellationToken cancellationToken)
    {
        while (true)
        {
            var status = (await runtime.ContainerStatusAsync(new ContainerStatusRequest { ContainerId = containerId }, cancellationToken: cancellationToken).ConfigureAwait(false)).Status;
            if (status.State == ContainerState.ContainerExited)
            {
                return status;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken).ConfigureAwait(false);
        }
    }

    // CRI log lines are "TIMESTAMP STREAM TAG text" (TAG P marks a partial line).
    private static List<string> ReadLog(string path)
    {
        if (!File.Exists(path))
        {
            return [];
        }

        return [.. File.ReadLines(path).Select(line => line.Split(' ', 4) is { Length: 4 } parts ? parts[3] : line)];
    }

    private static void TryDelete(string directory)
    {
        try
        {
            TreeRemover.Delete(directory);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Turns a CRI failure into the message the user needs (containerd's detail carries the runtime's error).</summary>
    public static string Describe(RpcException ex) => $"{ex.Status.StatusCode}: {ex.Status.Detail}";
}
