namespace GuestPull.Configuration.Sandbox;

/// <summary>The shim config's <c>[vm] accel</c>: which QEMU accelerator runs the guest.</summary>
public enum VmAccelerator
{
    /// <summary>KVM when it can really run a guest, else TCG (with a warning).</summary>
    Auto,

    /// <summary>KVM, or the pod fails to start.</summary>
    Kvm,

    /// <summary>QEMU's software emulation: slow, but runs anywhere.</summary>
    Tcg,
}
