namespace GuestPull.Linux.Virtualization;

/// <summary>
/// Tells whether KVM can run a stock guest on this host. <c>/dev/kvm</c> existing is not enough: a PVM
/// host (<c>kvm_pvm</c>, a paravirtualised hypervisor used inside cloud VMs without nested
/// virtualisation) serves the same device but fails on stock kernels (MSR errors, emulation failures),
/// so there QEMU must fall back to TCG.
/// </summary>
public static class KvmProbe
{
    /// <summary>The KVM device.</summary>
    public const string DevicePath = "/dev/kvm";

    /// <summary>Probes the running host.</summary>
    public static KvmAvailability Probe() => Probe(DevicePath, "/sys/module");

    /// <summary>Probes with another device node and module directory (tests).</summary>
    /// <param name="devicePath">The KVM device node.</param>
    /// <param name="moduleDirectory">The kernel's loaded-module directory (/sys/module).</param>
    public static KvmAvailability Probe(string devicePath, string moduleDirectory)
    {
        if (!File.Exists(devicePath))
        {
            return new KvmAvailability(false, $"{devicePath} is absent (no KVM module loaded, or no hardware virtualisation)");
        }

        if (Directory.Exists(Path.Combine(moduleDirectory, "kvm_pvm")))
        {
            return new KvmAvailability(false, $"{devicePath} is served by kvm_pvm, a software hypervisor that cannot run stock guests");
        }

        try
        {
            using var handle = File.OpenHandle(devicePath, FileMode.Open, FileAccess.ReadWrite);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new KvmAvailability(false, $"cannot open {devicePath} for reading and writing: {ex.Message}");
        }

        var module = new[] { "kvm_intel", "kvm_amd" }.FirstOrDefault(name => Directory.Exists(Path.Combine(moduleDirectory, name)));
        return new KvmAvailability(true, module is null ? $"{devicePath} is usable" : $"{devicePath} is usable ({module})");
    }
}
