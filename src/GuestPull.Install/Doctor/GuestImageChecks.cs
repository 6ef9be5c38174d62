using GuestPull.Configuration.Sandbox;
using GuestPull.Install.GuestImage;

namespace GuestPull.Install.Doctor;

/// <summary>
/// The kernel and initramfs a VM sandbox boots: both must exist, and when they are the guest image's
/// (no <c>[vm] kernel</c>/<c>initrd</c>) they must match its manifest.json, whose kernel package is reported.
/// </summary>
internal static class GuestImageChecks
{
    public static async Task<DoctorFinding> RunAsync(VmSettings vm, string shimConfigFile, GuestImageLayout defaultImage, CancellationToken cancellationToken)
    {
        var kernel = vm.Kernel ?? defaultImage.Kernel;
        var initrd = vm.Initrd ?? defaultImage.Initramfs;
        var fromImage = vm.Kernel is null || vm.Initrd is null;
        var missing = new[] { (Key: "kernel", Path: kernel), (Key: "initrd", Path: initrd) }
            .Where(file => !File.Exists(file.Path)).Select(file => $"{file.Key} {file.Path}").ToList();
        if (missing.Count > 0)
        {
            return new("vm.guest-image", DoctorStatus.Fail, $"{string.Join(" and ", missing)} missing: VM pods cannot start",
                fromImage
                    ? $"./build.sh builds the guest image into artifacts/bin/guest and guestpull install copies it beside the shim ({defaultImage.Directory}); or set [vm] kernel and initrd in {shimConfigFile}"
                    : $"correct [vm] kernel and initrd in {shimConfigFile}, or remove them to boot the installed guest image");
        }

        if (!fromImage)
        {
            return new("vm.guest-image", DoctorStatus.Pass, $"kernel {kernel} and initrd {initrd} from [vm] (not checked: no manifest describes them)", string.Empty);
        }

        // Only the files the VM will boot from the image are checked; one named in [vm] is the operator's.
        string[] used = [.. new[] { (Configured: vm.Kernel, Image: defaultImage.Kernel), (Configured: vm.Initrd, Image: defaultImage.Initramfs) }
            .Where(file => file.Configured is null).Select(file => Path.GetFileName(file.Image))];
        var check = await GuestImageVerifier.VerifyAsync(defaultImage, used, cancellationToken).ConfigureAwait(false);
        if (!check.Intact)
        {
            return new("vm.guest-image", DoctorStatus.Fail, $"guest image {defaultImage.Directory}: {string.Join("; ", check.Problems)}",
                "install again from a good build (guestpull install checks the copy), or rebuild the image with scripts/build-guest.sh");
        }

        var origin = vm.Kernel is null ? $" (kernel {check.Manifest!.KernelDescription})" : string.Empty;
        return new("vm.guest-image", DoctorStatus.Pass, $"{string.Join(" and ", used)} in {defaultImage.Directory} match its manifest.json{origin}", string.Empty);
    }
}
