namespace GuestPull.Cli.Verify;

/// <summary>One container of the pod (the sandbox's own pause container included) and the rootfs directories of it found on the host.</summary>
internal sealed record ContainerVerification(string Id, string Name, string Image, string State, IReadOnlyList<string> HostRootfs)
{
    public bool PulledInGuest => HostRootfs.Count == 0;
}
