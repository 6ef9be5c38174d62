namespace GuestPull.Configuration.Sandbox;

/// <summary>The shim config's <c>[vm]</c> table: how the pod's QEMU virtual machine is started.</summary>
public sealed record VmSettings
{
    /// <summary>Kata's default_vcpus.</summary>
    public const int DefaultVcpus = 1;

    /// <summary>Kata's default_memory, in MiB.</summary>
    public const int DefaultMemoryMiB = 2048;

    /// <summary>The QEMU binary: a path, or a name looked up on PATH.</summary>
    public string QemuPath { get; init; } = "qemu-system-x86_64";

    /// <summary>The guest kernel (an uncompressed vmlinux); null for the installed guest image's.</summary>
    public string? Kernel { get; init; }

    /// <summary>The guest initramfs; null for the installed guest image's.</summary>
    public string? Initrd { get; init; }

    /// <summary>The accelerator.</summary>
    public VmAccelerator Accelerator { get; init; } = VmAccelerator.Auto;

    /// <summary>vCPUs before the pod's CPU limits are added.</summary>
    public int Vcpus { get; init; } = DefaultVcpus;

    /// <summary>Memory before the pod's memory limits are added, in MiB.</summary>
    public int MemoryMiB { get; init; } = DefaultMemoryMiB;

    /// <summary>Appended to the guest kernel's command line.</summary>
    public string KernelParams { get; init; } = string.Empty;

    /// <summary>The kernel to boot: <see cref="Kernel"/> or the guest image's.</summary>
    public string KernelPath => Kernel ?? GuestImageLayout.Default.Kernel;

    /// <summary>The initramfs to boot: <see cref="Initrd"/> or the guest image's.</summary>
    public string InitrdPath => Initrd ?? GuestImageLayout.Default.Initramfs;

    /// <summary>Reads a <c>[vm]</c> table; unknown keys become warnings.</summary>
    /// <param name="vm">The table.</param>
    /// <param name="warnings">Receives the unknown keys.</param>
    public static VmSettings Read(TomlSection vm, ICollection<string> warnings)
    {
        ArgumentNullException.ThrowIfNull(vm);
        ArgumentNullException.ThrowIfNull(warnings);
        var settings = new VmSettings();
        foreach (var key in vm.Keys)
        {
            settings = key switch
            {
                "qemu_path" => settings with { QemuPath = vm.GetNonEmptyString(key) },
                "kernel" => settings with { Kernel = vm.GetAbsolutePath(key) },
                "initrd" => settings with { Initrd = vm.GetAbsolutePath(key) },
                "accel" => settings with { Accelerator = vm.GetChoice(key, "auto", "kvm", "tcg") switch { "kvm" => VmAccelerator.Kvm, "tcg" => VmAccelerator.Tcg, _ => VmAccelerator.Auto } },
                "vcpus" => settings with { Vcpus = (int)vm.GetInteger(key, 1, 255) },
                "memory_mib" => settings with { MemoryMiB = (int)vm.GetInteger(key, 128, 1 << 20) },
                "kernel_params" => settings with { KernelParams = vm.GetString(key) },
                _ => Warn(settings, vm.UnknownKeyWarning(key)),
            };
        }

        return settings;

        VmSettings Warn(VmSettings current, string warning)
        {
            warnings.Add(warning);
            return current;
        }
    }
}
