using GuestPull.Configuration.Sandbox;

namespace GuestPull.Shim.Vm;

/// <summary>One pod VM's resolved parameters: what <see cref="QemuCommandLine"/> turns into QEMU's arguments.</summary>
/// <param name="Settings">The [vm] table.</param>
/// <param name="Accelerator">KVM or TCG, resolved from auto.</param>
/// <param name="Vcpus">vCPUs: the configured ones plus the pod's CPU limits.</param>
/// <param name="MemoryMiB">Memory: the configured amount plus the pod's memory limits.</param>
/// <param name="Initrd">The pod's initrd: the guest image's with the pod's initdata appended.</param>
/// <param name="AgentSocket">The host unix socket QEMU serves for the agent's virtio-serial port.</param>
/// <param name="NetworkNamespace">The pod's network namespace QEMU runs in; null for the node's network.</param>
/// <param name="Name">QEMU's -name (shows in ps).</param>
internal sealed record VmLaunch(
    VmSettings Settings,
    VmAccelerator Accelerator,
    int Vcpus,
    int MemoryMiB,
    string Initrd,
    string AgentSocket,
    string? NetworkNamespace,
    string Name);
