using GuestPull.Configuration.Sandbox;
using GuestPull.Install.Services;
using GuestPull.Linux.Virtualization;

namespace GuestPull.Install.Doctor;

/// <summary>
/// The VM sandbox's QEMU: the binary runs, has the <c>microvm</c> machine type the shim boots, and the
/// accelerator <c>[vm] accel</c> asks for can run a guest on this host.
/// </summary>
internal static class QemuChecks
{
    /// <summary>How long one QEMU query may take; it only prints and exits, but a wedged binary must not hang doctor.</summary>
    private static readonly TimeSpan QueryTimeout = TimeSpan.FromSeconds(15);

    private const string InstallQemu = "apt-get install qemu-system-x86";

    public static async Task<IReadOnlyList<DoctorFinding>> RunAsync(
        VmSettings vm, string shimConfigFile, IReadOnlyList<string> searchPath, KvmAvailability kvm, CancellationToken cancellationToken)
    {
        var findings = new List<DoctorFinding>();
        var qemu = await CheckBinaryAsync(vm.QemuPath, shimConfigFile, searchPath, findings, cancellationToken).ConfigureAwait(false);
        if (qemu is not null)
        {
            await CheckMachineAsync(qemu, findings, cancellationToken).ConfigureAwait(false);
        }
        var accelerators = qemu is null ? null : await ListAsync(qemu, "-accel", cancellationToken).ConfigureAwait(false);
        findings.Add(AcceleratorFinding(vm.Accelerator, kvm, accelerators, qemu, shimConfigFile));
        return findings;
    }

    /// <summary>The accelerator finding, for what <paramref name="accel"/> asks and what this host and QEMU build offer.</summary>
    /// <param name="accel">The configured accelerator.</param>
    /// <param name="kvm">Whether KVM can run a guest here.</param>
    /// <param name="accelerators">The accelerators the QEMU build lists (<c>-accel help</c>); null when unknown.</param>
    /// <param name="qemu">The QEMU binary, for messages; null when it was not found.</param>
    /// <param name="shimConfigFile">The shim's config file, for fixes.</param>
    internal static DoctorFinding AcceleratorFinding(VmAccelerator accel, KvmAvailability kvm, IReadOnlyList<string>? accelerators, string? qemu, string shimConfigFile)
    {
        var useKvm = accel == VmAccelerator.Kvm || (accel == VmAccelerator.Auto && kvm.Usable);
        if (accel == VmAccelerator.Kvm && !kvm.Usable)
        {
            return new("vm.accel", DoctorStatus.Fail, $"accel = \"kvm\", but KVM cannot run a guest here: {kvm.Reason}",
                $"set accel = \"auto\" (falls back to TCG) or \"tcg\" in [vm] of {shimConfigFile}, or run on a host with hardware virtualisation (bare metal, or a cloud VM with nested virtualisation)");
        }

        var wanted = useKvm ? "kvm" : "tcg";
        if (accelerators is not null && !accelerators.Contains(wanted))
        {
            return new("vm.accel", DoctorStatus.Fail, $"{qemu} was built without the {wanted} accelerator (it lists {string.Join(", ", accelerators)})",
                useKvm ? $"install a QEMU with KVM support ({InstallQemu})" : $"install a QEMU with TCG ({InstallQemu}), or use a host where KVM works and set accel = \"kvm\"");
        }

        return accel switch
        {
            VmAccelerator.Tcg when kvm.Usable => new("vm.accel", DoctorStatus.Warn,
                $"accel = \"tcg\": software emulation, although KVM can run guests here ({kvm.Reason})",
                $"set accel = \"auto\" or \"kvm\" in [vm] of {shimConfigFile}: pods start and run several times faster"),
            VmAccelerator.Tcg => new("vm.accel", DoctorStatus.Pass, $"TCG (software emulation, slow), as accel = \"tcg\" asks; KVM is not usable anyway: {kvm.Reason}", string.Empty),
            _ when useKvm => new("vm.accel", DoctorStatus.Pass, $"KVM: {kvm.Reason}", string.Empty),
            _ => new("vm.accel", DoctorStatus.Warn, $"TCG (software emulation, slow): {kvm.Reason}",
                "pods still start, but boot and run several times slower; use a host with hardware virtualisation (bare metal, or a cloud VM with nested virtualisation) for KVM"),
        };
    }

    private static async Task<string?> CheckBinaryAsync(
        string configured, string shimConfigFile, IReadOnlyList<string> searchPath, List<DoctorFinding> findings, CancellationToken cancellationToken)
    {
        var fix = $"{InstallQemu}, or set [vm] qemu_path in {shimConfigFile} to the QEMU binary";
        string? qemu;
        if (configured.Contains('/', StringComparison.Ordinal))
        {
            qemu = File.Exists(configured) ? configured : null;
            if (qemu is null)
            {
                findings.Add(new("vm.qemu", DoctorStatus.Fail, $"[vm] qemu_path {configured} does not exist: VM pods cannot start", fix));
                return null;
            }
        }
        else
        {
            // The shim runs QEMU with containerd's environment, so a bare name is looked up on containerd's PATH.
            qemu = searchPath.Select(d => Path.Combine(d, configured)).FirstOrDefault(File.Exists);
            if (qemu is null)
            {
                findings.Add(new("vm.qemu", DoctorStatus.Fail,
                    $"{configured} is not on containerd's PATH ({string.Join(':', searchPath)}): VM pods cannot start", fix));
                return null;
            }
        }

        HostCommand.Result result;
        try
        {
            result = await HostCommand.RunAsync(qemu, ["--version"], QueryTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (InstallException ex)
        {
            findings.Add(new("vm.qemu", DoctorStatus.Fail, ex.Message, fix));
            return null;
        }
        if (!result.Succeeded)
        {
            findings.Add(new("vm.qemu", DoctorStatus.Fail, $"{qemu} --version failed: {result.Describe()}", fix));
            return null;
        }

        var version = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "no version printed";
        findings.Add(new("vm.qemu", DoctorStatus.Pass, $"{qemu}: {version}", string.Empty));
        return qemu;
    }

    private static async Task CheckMachineAsync(string qemu, List<DoctorFinding> findings, CancellationToken cancellationToken)
    {
        var machines = await ListAsync(qemu, "-machine", cancellationToken).ConfigureAwait(false);
        if (machines is null)
        {
            findings.Add(new("vm.machine", DoctorStatus.Fail, $"{qemu} -machine help failed: the machine types cannot be listed",
                $"check that {qemu} runs on this host ({InstallQemu})"));
        }
        else if (!machines.Contains("microvm"))
        {
            findings.Add(new("vm.machine", DoctorStatus.Fail, $"{qemu} has no microvm machine type, which the shim boots the guest on",
                $"install a QEMU built with microvm (4.2 or later; {InstallQemu})"));
        }
        else
        {
            findings.Add(new("vm.machine", DoctorStatus.Pass, $"{qemu} has the microvm machine type", string.Empty));
        }
    }

    // `-machine help` and `-accel help` print a header line, then one entry per line with its name first.
    private static async Task<IReadOnlyList<string>?> ListAsync(string qemu, string option, CancellationToken cancellationToken)
    {
        try
        {
            var result = await HostCommand.RunAsync(qemu, [option, "help"], QueryTimeout, cancellationToken).ConfigureAwait(false);
            return result.Succeeded
                ? [.. result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Skip(1).Select(line => line.Split(' ', 2)[0])]
                : null;
        }
        catch (InstallException)
        {
            return null;
        }
    }
}
