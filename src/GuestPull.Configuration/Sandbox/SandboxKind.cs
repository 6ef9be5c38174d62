namespace GuestPull.Configuration.Sandbox;

/// <summary>What isolates a pod: the shim config's <c>sandbox</c> key.</summary>
public enum SandboxKind
{
    /// <summary>A QEMU virtual machine per pod (Kata's model): the host cannot read or change the guest's memory-backed rootfs.</summary>
    Vm,

    /// <summary>Linux namespaces on the host, for hosts without QEMU: no protection against the host.</summary>
    Namespace,
}
