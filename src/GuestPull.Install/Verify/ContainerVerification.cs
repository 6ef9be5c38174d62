namespace GuestPull.Install.Verify;

/// <summary>One container of the pod (the sandbox's own pause container included) and the rootfs directories of it found on the host.</summary>
/// <param name="Id">The container id (the sandbox id for the pause container).</param>
/// <param name="Name">The container's name in the pod.</param>
/// <param name="Image">The image the container was created from.</param>
/// <param name="State">created, running, exited, ready, not ready or unknown.</param>
/// <param name="HostRootfs">The container's rootfs directories found on the host.</param>
public sealed record ContainerVerification(string Id, string Name, string Image, string State, IReadOnlyList<string> HostRootfs)
{
    /// <summary>True when no rootfs of the container is on the host.</summary>
    public bool PulledInGuest => HostRootfs.Count == 0;
}
