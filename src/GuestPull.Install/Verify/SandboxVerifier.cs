using Grpc.Core;
using GuestPull.Api.Cri.V1;

namespace GuestPull.Install.Verify;

/// <summary>
/// Checks that a pod's images were pulled in the guest: such a pod has no rootfs directory under
/// the host's shared directory for its sandbox (<c>/run/kata-containers/shared/sandboxes/&lt;id&gt;</c>
/// on a Kata node). The pod and its containers come from
/// containerd's CRI service, so the report can name each container and its image.
/// </summary>
/// <param name="runtime">containerd's CRI runtime service.</param>
/// <param name="sharedRoot">The host directory holding one shared directory per sandbox.</param>
public sealed class SandboxVerifier(RuntimeService.RuntimeServiceClient runtime, string sharedRoot)
{
    /// <summary>Verifies one pod.</summary>
    /// <param name="sandboxId">The pod sandbox's id.</param>
    /// <param name="cancellationToken">Abandons the check.</param>
    /// <returns>The report; <see cref="SandboxVerification.Passed"/> tells the verdict.</returns>
    /// <exception cref="ArgumentException">containerd knows no such pod.</exception>
    public async Task<SandboxVerification> VerifyAsync(string sandboxId, CancellationToken cancellationToken)
    {
        PodSandboxStatus pod;
        try
        {
            pod = (await runtime.PodSandboxStatusAsync(new PodSandboxStatusRequest { PodSandboxId = sandboxId }, cancellationToken: cancellationToken).ConfigureAwait(false)).Status;
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
        {
            throw new ArgumentException($"containerd knows no pod sandbox '{sandboxId}': {ex.Status.Detail}", ex);
        }

        var containers = (await runtime.ListContainersAsync(
            new ListContainersRequest { Filter = new ContainerFilter { PodSandboxId = pod.Id } },
            cancellationToken: cancellationToken).ConfigureAwait(false)).Containers;

        var sandboxDirectory = Path.Combine(sharedRoot, pod.Id);
        var rootfs = HostRootfsScanner.Find(sandboxDirectory);

        var report = new List<ContainerVerification>
        {
            new(pod.Id, "(sandbox)", "pause", pod.State == PodSandboxState.SandboxReady ? "ready" : "not ready", Owned(rootfs, pod.Id)),
        };
        foreach (var container in containers.OrderBy(c => c.CreatedAt))
        {
            report.Add(new ContainerVerification(
                container.Id,
                container.Metadata?.Name ?? "",
                container.Image?.Image is { Length: > 0 } image ? image : container.ImageRef,
                container.State switch
                {
                    ContainerState.ContainerCreated => "created",
                    ContainerState.ContainerRunning => "running",
                    ContainerState.ContainerExited => "exited",
                    _ => "unknown",
                },
                Owned(rootfs, container.Id)));
        }

        return new SandboxVerification(
            pod.Id,
            pod.Metadata?.Name ?? "",
            pod.Metadata?.Namespace ?? "",
            pod.RuntimeHandler,
            sandboxDirectory,
            rootfs,
            report,
            DescribeProblem(pod.RuntimeHandler),
            SandboxIsolationProbe.Describe(pod.Id));
    }

    // A pod run by runc has its rootfs on the host by design: no directory under the shared root would
    // make the check pass for the wrong reason.
    private static string? DescribeProblem(string handler) =>
        handler == "runc" || handler.StartsWith("runc-", StringComparison.Ordinal)
            ? $"the pod runs with runtime handler '{handler}', not in a sandbox: its rootfs is unpacked on the host by design"
            : null;

    private static List<string> Owned(IReadOnlyList<string> rootfs, string containerId) =>
        [.. rootfs.Where(path => path.Split('/').Contains(containerId, StringComparer.Ordinal))];
}
