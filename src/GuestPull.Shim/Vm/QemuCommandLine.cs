using System.Globalization;
using GuestPull.Configuration.Sandbox;

namespace GuestPull.Shim.Vm;

/// <summary>
/// QEMU's command line for a pod VM: the microvm machine (virtio-mmio only, no PCI, no firmware: QEMU
/// loads the ELF vmlinux through PVH), the console on QEMU's stdout (the shim's log), an entropy
/// device, user-mode networking, and the agent's virtio-serial port <c>agent.0</c> on a host unix socket.
/// </summary>
internal static class QemuCommandLine
{
    /// <summary>The guest port name the agent listens on (/dev/virtio-ports/agent.0).</summary>
    public const string AgentPortName = "agent.0";

    /// <summary>The argv, led by nsenter into the pod's network namespace when it has one.</summary>
    public static IReadOnlyList<string> Build(VmLaunch launch)
    {
        var command = new List<string>();
        if (launch.NetworkNamespace is { } netns)
        {
            command.AddRange(["nsenter", "--net=" + netns, "--"]);
        }

        var kvm = launch.Accelerator == VmAccelerator.Kvm;
        command.AddRange([
            launch.Settings.QemuPath,
            "-name", launch.Name,
            // The RTC stays: without it the kernel's two RTC probes time out (2 s of a boot under TCG).
            "-M", "microvm,x-option-roms=off,pit=off,pic=off",
            "-accel", kvm ? "kvm" : "tcg",
            "-cpu", kvm ? "host" : "max",
            "-smp", launch.Vcpus.ToString(CultureInfo.InvariantCulture),
            "-m", launch.MemoryMiB.ToString(CultureInfo.InvariantCulture),
            "-nodefaults", "-no-user-config", "-display", "none", "-monitor", "none", "-no-reboot",
            "-kernel", launch.Settings.KernelPath,
            "-initrd", launch.Initrd,
            "-append", KernelCommandLine(launch),
            "-chardev", "stdio,id=console,signal=off",
            "-serial", "chardev:console",
            // Without an entropy device the guest's first getrandom waits for the crng to be seeded.
            "-device", "virtio-rng-device",
            "-netdev", "user,id=net0",
            "-device", "virtio-net-device,netdev=net0",
            "-device", "virtio-serial-device",
            "-chardev", $"socket,id=agent,path={launch.AgentSocket},server=on,wait=off",
            "-device", $"virtserialport,chardev=agent,name={AgentPortName}",
        ]);
        return command;
    }

    /// <summary>
    /// The guest kernel's command line. panic=-1 with -no-reboot makes a guest whose agent (PID 1) died
    /// stop QEMU at once. Under TCG the guest cannot calibrate its TSC without a PIT: it is told the
    /// host's frequency and that the counter is reliable.
    /// </summary>
    public static string KernelCommandLine(VmLaunch launch)
    {
        var line = "console=ttyS0 quiet panic=-1 random.trust_cpu=on";
        if (launch.Accelerator == VmAccelerator.Tcg && HostTscKhz() is { } khz)
        {
            line += $" tsc_early_khz={khz.ToString(CultureInfo.InvariantCulture)} tsc=reliable";
        }

        return launch.Settings.KernelParams.Length == 0 ? line : line + " " + launch.Settings.KernelParams;
    }

    private static long? HostTscKhz()
    {
        foreach (var line in File.ReadLines("/proc/cpuinfo"))
        {
            if (line.StartsWith("cpu MHz", StringComparison.Ordinal)
                && double.TryParse(line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var mhz))
            {
                return (long)Math.Round(mhz * 1000);
            }
        }

        return null;
    }
}
