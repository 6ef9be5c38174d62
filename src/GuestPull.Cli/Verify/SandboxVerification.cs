namespace GuestPull.Cli.Verify;

/// <summary>What <c>guestpull verify</c> found for one pod.</summary>
internal sealed record SandboxVerification(
    string SandboxId,
    string PodName,
    string PodNamespace,
    string RuntimeHandler,
    string SandboxDirectory,
    IReadOnlyList<string> HostRootfs,
    IReadOnlyList<ContainerVerification> Containers,
    string? Problem)
{
    /// <summary>True only when no rootfs of the pod is on the host and the pod runs in a sandbox at all.</summary>
    public bool Passed => Problem is null && HostRootfs.Count == 0;
}
