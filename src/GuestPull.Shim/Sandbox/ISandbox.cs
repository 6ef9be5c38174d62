using GuestPull.Api.Agent;

namespace GuestPull.Shim.Sandbox;

/// <summary>
/// One pod's isolated guest running the GuestPull agent: a QEMU virtual machine (<see cref="Vm.VmSandbox"/>)
/// or, on hosts without QEMU, a set of Linux namespaces (<see cref="NamespaceSandbox"/>).
/// </summary>
internal interface ISandbox : IAsyncDisposable
{
    /// <summary>The pod (sandbox) id.</summary>
    string Id { get; }

    /// <summary>The agent in the guest.</summary>
    AgentClient Agent { get; }

    /// <summary>Completes when the guest dies.</summary>
    Task Exited { get; }

    /// <summary>
    /// Turns a container's host spec into the guest's, in place: its rootfs (the returned plan's storages
    /// go to the agent), its namespace paths, and the host files and directories it mounts.
    /// </summary>
    Task<Rootfs.RootfsPlan> PrepareContainerAsync(ContainerSpecRequest request, CancellationToken cancellationToken);

    /// <summary>Releases what <see cref="PrepareContainerAsync"/> made on the host for a container; failures are logged only.</summary>
    void ReleaseContainer(string containerId);

    /// <summary>
    /// The pid containerd is told for a container whose process has <paramref name="guestPid"/> in the guest:
    /// the host pid when the host can see it, else the VM's (as Kata reports its hypervisor's).
    /// </summary>
    uint ReportedPid(bool isSandboxContainer, uint guestPid);

    /// <summary>Removes what runs in the guest, stops it and removes every host trace of it.</summary>
    Task StopAsync(CancellationToken cancellationToken);
}
