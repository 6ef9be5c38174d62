namespace GuestPull.Linux.Virtualization;

/// <summary>Whether KVM can run a guest here, and why (or why not) in words for logs and <c>guestpull doctor</c>.</summary>
/// <param name="Usable">True when QEMU should use <c>-accel kvm</c>.</param>
/// <param name="Reason">The evidence, e.g. "/dev/kvm is served by kvm_pvm, …".</param>
public sealed record KvmAvailability(bool Usable, string Reason);
