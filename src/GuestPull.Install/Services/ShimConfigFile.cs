using System.Globalization;
using System.Text;
using GuestPull.Configuration.Sandbox;
using GuestPull.Install.State;
using GuestPull.Install.Toml;

namespace GuestPull.Install.Services;

/// <summary>
/// The shim's <c>shim.toml</c> as install writes it when there is none: the sandbox kind stated, and an
/// empty <c>[vm]</c> table whose keys are all documented in comments with their defaults, so the operator
/// sees the choice and what can be changed without the file changing anything. An existing file is the
/// operator's: install never replaces it, and uninstall removes only a file install wrote and nobody edited.
/// </summary>
internal static class ShimConfigFile
{
    /// <summary>Writes the default file when there is none; returns the step to record, or null when nothing was written.</summary>
    public static InstallStep? Install(InstallOptions options, InstallState state, InstallReport report)
    {
        var path = options.ShimConfigFile;
        var earlier = state.Find(InstallStep.ShimConfig);
        if (File.Exists(path))
        {
            if (earlier is null)
            {
                report.Step($"left the existing shim config {path} as it is");
            }
            return null;
        }
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var createdDirectory = !Directory.Exists(directory);
        var content = Render(options);
        FileWriter.WriteAtomically(path, content);
        // The record of an earlier install whose file was deleted since gives way to this one.
        if (earlier is not null)
        {
            state.Steps.Remove(earlier);
        }
        report.Step($"wrote a default shim config {path} (sandbox = \"vm\"; the [vm] keys documented in comments)");
        return new InstallStep
        {
            Kind = InstallStep.ShimConfig,
            Path = path,
            CreatedFile = true,
            WrittenSha256 = FileWriter.Sha256(content),
            CreatedPaths = createdDirectory ? [directory] : [],
        };
    }

    /// <summary>Removes the file install wrote, unless someone changed it since: then it holds their settings and stays.</summary>
    public static void Undo(InstallStep step, InstallReport report)
    {
        if (step.Path is not { } path || !File.Exists(path))
        {
            report.Step($"{step.Path} is gone; nothing to remove");
        }
        else if (FileWriter.Sha256(File.ReadAllText(path)) == step.WrittenSha256)
        {
            File.Delete(path);
            report.Step($"removed {path}");
        }
        else
        {
            report.Warn($"{path} changed since guestpull install wrote it: left in place (delete it by hand when it is no longer wanted)");
        }
        foreach (var directory in step.CreatedPaths)
        {
            InstallUndo.DeleteIfEmpty(directory);
        }
    }

    public static string Render(InstallOptions options)
    {
        var defaults = new VmSettings();
        // The shim looks for the image beside itself: the lib directory, or the build with --skip-binaries.
        var guest = Path.Combine(options.SkipBinaries ? options.SourceDirectory : options.LibDirectory, GuestImageLayout.DirectoryName);
        var toml = new StringBuilder();
        toml.Append("# The GuestPull shim's settings (containerd-shim-guestpull-v2).\n");
        toml.Append("# Written by guestpull install because there was none; guestpull uninstall removes it\n");
        toml.Append("# unless it was changed since. `guestpull doctor` checks what it selects.\n");
        toml.Append('\n');
        toml.Append("# What isolates a pod from the host:\n");
        toml.Append("#   \"vm\"         each pod runs in its own QEMU virtual machine; the container's root\n");
        toml.Append("#                filesystem only ever exists inside the guest.\n");
        toml.Append("#   \"namespace\"  Linux namespaces on the host, for hosts without QEMU: the rootfs sits in a\n");
        toml.Append("#                host tmpfs that any root process on the host can read and change.\n");
        toml.Append("sandbox = \"vm\"\n");
        toml.Append('\n');
        toml.Append("# How the pod's VM starts. Every key is optional: the commented values are the defaults.\n");
        toml.Append("[vm]\n");
        toml.Append("# The QEMU binary: an absolute path, or a name looked up on containerd's PATH.\n");
        toml.Append("# qemu_path = ").Append(TomlDocumentEditor.Quote(defaults.QemuPath)).Append('\n');
        toml.Append("# The guest kernel (an uncompressed vmlinux) and its initramfs. By default the guest image\n");
        toml.Append("# installed with the binaries, checked against its manifest.json by install and doctor.\n");
        toml.Append("# kernel = ").Append(TomlDocumentEditor.Quote(Path.Combine(guest, "vmlinux"))).Append('\n');
        toml.Append("# initrd = ").Append(TomlDocumentEditor.Quote(Path.Combine(guest, "initramfs.cpio.gz"))).Append('\n');
        toml.Append("# \"auto\": KVM when it can really run a guest here, else TCG (software emulation, slow);\n");
        toml.Append("# \"kvm\": KVM or the pod fails to start; \"tcg\": always software emulation.\n");
        toml.Append("# accel = \"auto\"\n");
        toml.Append("# vCPUs and memory (MiB) of the VM before the pod's CPU and memory limits are added.\n");
        toml.Append("# vcpus = ").Append(defaults.Vcpus.ToString(CultureInfo.InvariantCulture)).Append('\n');
        toml.Append("# memory_mib = ").Append(defaults.MemoryMiB.ToString(CultureInfo.InvariantCulture)).Append('\n');
        toml.Append("# Appended to the guest kernel's command line.\n");
        toml.Append("# kernel_params = \"\"\n");
        return toml.ToString();
    }
}
