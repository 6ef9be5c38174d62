using GuestPull.Configuration.Sandbox;
using GuestPull.Linux.Virtualization;

namespace GuestPull.Shim.Vm;

/// <summary>Turns the configured accelerator into the one QEMU gets: auto is KVM only where KVM can really run a guest.</summary>
internal static class AcceleratorSelector
{
    /// <summary>The accelerator, and why (for the log when auto fell back to TCG).</summary>
    public static (VmAccelerator Accelerator, string Reason) Resolve(VmAccelerator configured, Func<KvmAvailability>? probe = null)
    {
        if (configured == VmAccelerator.Tcg)
        {
            return (VmAccelerator.Tcg, "[vm] accel = \"tcg\"");
        }

        var kvm = (probe ?? KvmProbe.Probe)();
        return kvm.Usable
            ? (VmAccelerator.Kvm, kvm.Reason)
            : configured == VmAccelerator.Kvm
                ? throw new ShimException($"[vm] accel = \"kvm\", but KVM cannot run the guest here: {kvm.Reason}; set accel = \"auto\" or \"tcg\" to use software emulation")
                : (VmAccelerator.Tcg, kvm.Reason);
    }
}
