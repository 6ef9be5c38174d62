namespace GuestPull.Install.Verify;

/// <summary>What <c>guestpull verify</c> found for one pod.</summary>
/// <param name="SandboxId">The pod sandbox's id.</param>
/// <param name="PodName">The pod's name.</param>
/// <param name="PodNamespace">The pod's Kubernetes namespace.</param>
/// <param name="RuntimeHandler">The pod's runtime handler.</param>
/// <param name="SandboxDirectory">The sandbox's directory under the host's shared root.</param>
/// <param name="HostRootfs">Every rootfs directory of the pod found on the host.</param>
/// <param name="Containers">The pause container and each container of the pod.</param>
/// <param name="Problem">Why the check cannot pass whatever the directories hold (a runc pod), or null.</param>
/// <param name="Isolation">What runs the pod on this host: a virtual machine, host namespaces, or nothing found.</param>
public sealed record SandboxVerification(
    string SandboxId,
    string PodName,
    string PodNamespace,
    string RuntimeHandler,
    string SandboxDirectory,
    IReadOnlyList<string> HostRootfs,
    IReadOnlyList<ContainerVerification> Containers,
    string? Problem,
    string Isolation)
{
    /// <summary>True only when no rootfs of the pod is on the host and the pod runs in a sandbox at all.</summary>
    public bool Passed => Problem is null && HostRootfs.Count == 0;
}
