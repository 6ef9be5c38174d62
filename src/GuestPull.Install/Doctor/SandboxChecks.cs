using GuestPull.Configuration;
using GuestPull.Configuration.Sandbox;
using GuestPull.Linux.Virtualization;

namespace GuestPull.Install.Doctor;

/// <summary>
/// What the shim's config selects for pods: the sandbox kind and, for VMs, QEMU, the accelerator and the
/// guest image. Reads the file the way the shim does (a missing file means the defaults) and only reads.
/// </summary>
internal static class SandboxChecks
{
    /// <summary>Runs the checks.</summary>
    /// <param name="shimConfigFile">The shim's config file.</param>
    /// <param name="searchPath">The directories a bare <c>qemu_path</c> is looked up in: containerd's PATH, which the shim inherits.</param>
    /// <param name="defaultImage">The guest image the shim boots when <c>[vm]</c> names no kernel or initrd: the one beside the shim.</param>
    /// <param name="probeKvm">Tells whether KVM can run a guest here (<see cref="KvmProbe.Probe()"/>).</param>
    /// <param name="cancellationToken">Stops the QEMU runs and the hashing.</param>
    public static async Task<IReadOnlyList<DoctorFinding>> RunAsync(
        string shimConfigFile, IReadOnlyList<string> searchPath, GuestImageLayout defaultImage, Func<KvmAvailability> probeKvm, CancellationToken cancellationToken)
    {
        var findings = new List<DoctorFinding>();
        SandboxKind kind;
        VmSettings vm;
        var explicitKind = false;
        if (!File.Exists(shimConfigFile))
        {
            findings.Add(new("sandbox.config", DoctorStatus.Pass, $"{shimConfigFile} does not exist: the shim runs on its defaults", string.Empty));
            kind = ShimSandboxSection.DefaultKind;
            vm = new VmSettings();
        }
        else
        {
            var warnings = new List<string>();
            try
            {
                var file = await TomlConfigReader.ReadAsync(shimConfigFile, cancellationToken).ConfigureAwait(false);
                kind = ShimSandboxSection.ReadKind(file);
                explicitKind = file.ContainsKey(ShimSandboxSection.SandboxKey);
                // The [vm] table only matters to VM sandboxes; a namespace node is not failed for it.
                vm = kind == SandboxKind.Vm ? ShimSandboxSection.ReadVm(file, warnings) : new VmSettings();
            }
            catch (ConfigFileException ex)
            {
                findings.Add(new("sandbox.config", DoctorStatus.Fail, ex.Message,
                    $"fix {shimConfigFile}: pods with handler guestpull fail to start while the shim cannot read it"));
                return findings;
            }

            findings.Add(warnings.Count == 0
                ? new("sandbox.config", DoctorStatus.Pass, $"{shimConfigFile} read", string.Empty)
                : new("sandbox.config", DoctorStatus.Warn, string.Join("; ", warnings),
                    "remove or correct the key; [vm] knows qemu_path, kernel, initrd, accel, vcpus, memory_mib and kernel_params"));
        }

        if (kind == SandboxKind.Namespace)
        {
            findings.Add(new("sandbox.kind", DoctorStatus.Warn,
                "sandbox = \"namespace\": pods run in Linux namespaces on the host, which does not protect them against the host: " +
                "the container's rootfs is in a host tmpfs that any root process on the host can read and change",
                $"set sandbox = \"vm\" in {shimConfigFile} (or remove the key: vm is the default) so each pod runs in its own QEMU VM; doctor then checks QEMU and the guest image"));
            return findings;
        }

        findings.Add(new("sandbox.kind", DoctorStatus.Pass,
            $"pods run in QEMU virtual machines (sandbox = \"vm\"{(explicitKind ? string.Empty : ", the default")})", string.Empty));
        findings.AddRange(await QemuChecks.RunAsync(vm, shimConfigFile, searchPath, probeKvm(), cancellationToken).ConfigureAwait(false));
        findings.Add(await GuestImageChecks.RunAsync(vm, shimConfigFile, defaultImage, cancellationToken).ConfigureAwait(false));
        return findings;
    }
}
