using GuestPull.Configuration.Sandbox;
using GuestPull.Install.GuestImage;
using GuestPull.Install.State;
using GuestPull.Linux;

namespace GuestPull.Install.Services;

/// <summary>
/// Copies the application (the running guestpull's directory, with the sandbox VM's guest image in its
/// <c>guest/</c> directory) to the lib directory and links <c>guestpull</c>, <c>containerd-shim-guestpull-v2</c>
/// and <c>nydus-overlayfs</c> into the bin directory. A previous copy is set aside until the install
/// succeeds, so a failed upgrade puts it back.
/// </summary>
internal static class BinaryInstaller
{
    public const string ShimName = "containerd-shim-guestpull-v2";

    /// <summary>The host-side mount helper mount.fuse runs for fuse.nydus-overlayfs snapshots (a launcher of <c>guestpull mount-helper</c>).</summary>
    public const string MountHelperName = "nydus-overlayfs";

    /// <summary>
    /// Copies and links. The guest image that ends up in the lib directory is checked against its manifest
    /// (null in the result when the application has none); a damaged one fails before the old copy is touched.
    /// </summary>
    public static async Task<(InstallStep Step, GuestImageVerification? GuestImage)> InstallAsync(InstallOptions options, CancellationToken cancellationToken)
    {
        var source = Path.GetFullPath(options.SourceDirectory).TrimEnd('/');
        var lib = Path.GetFullPath(options.LibDirectory).TrimEnd('/');
        var created = new List<string>();
        string? replaced = null;
        GuestImageVerification? guestImage;
        if (source != lib)
        {
            _ = GuestPullLauncher.InDirectory(source);
            var staging = lib + ".new-guestpull";
            DeleteDirectory(staging);
            CopyDirectory(source, staging);
            // Checked in the staging copy, before the swap: a running shim must never boot a damaged image,
            // and the previous install stays exactly as it was.
            guestImage = await VerifyGuestImageAsync(Path.Combine(staging, GuestImageLayout.DirectoryName), cancellationToken).ConfigureAwait(false);
            if (guestImage is { Intact: false })
            {
                DeleteDirectory(staging);
                throw DamagedGuestImage($"the guest image copied from {Path.Combine(source, GuestImageLayout.DirectoryName)}", guestImage);
            }
            if (Directory.Exists(lib))
            {
                replaced = lib + ".old-guestpull";
                DeleteDirectory(replaced);
                Directory.Move(lib, replaced);
            }
            else
            {
                created.Add(lib);
            }
            Directory.Move(staging, lib);
        }
        else
        {
            // Installing from the installed copy: nothing is copied, but its image is the one the shim will boot.
            var directory = Path.Combine(lib, GuestImageLayout.DirectoryName);
            guestImage = await VerifyGuestImageAsync(directory, cancellationToken).ConfigureAwait(false);
            if (guestImage is { Intact: false })
            {
                throw DamagedGuestImage($"the guest image {directory}", guestImage);
            }
        }

        var step = new InstallStep { Kind = InstallStep.Binaries, CreatedPaths = created, Path = lib, ReplacedDirectory = replaced };
        try
        {
            Directory.CreateDirectory(options.BinDirectory);
            var native = Path.Combine(lib, "guestpull");
            var launcher = Path.Combine(options.BinDirectory, "guestpull");
            if (File.Exists(native))
            {
                Link(launcher, native, created);
            }
            else
            {
                // Framework-dependent build without a native launcher: a two-line wrapper does the same job.
                CheckReplaceable(launcher);
                if (!File.Exists(launcher))
                {
                    created.Add(launcher);
                }
                await File.WriteAllTextAsync(launcher, $"#!/bin/sh\nexec dotnet '{Path.Combine(lib, "guestpull.dll")}' \"$@\"\n", cancellationToken).ConfigureAwait(false);
                File.SetUnixFileMode(launcher, (UnixFileMode)0b111_101_101);
            }
            foreach (var name in new[] { ShimName, MountHelperName })
            {
                var launcherInLib = Path.Combine(lib, name);
                if (File.Exists(launcherInLib))
                {
                    Link(Path.Combine(options.BinDirectory, name), launcherInLib, created);
                }
            }
        }
        catch
        {
            // The step is not recorded yet, so the installer's rollback cannot see it: put the old copy back here.
            Undo(step);
            throw;
        }
        return (step, guestImage);
    }

    /// <summary>
    /// Checks the guest image in <paramref name="directory"/> against its manifest; null when there is no such
    /// directory (a build without the image: install goes on and warns that VM pods cannot start).
    /// </summary>
    public static async Task<GuestImageVerification?> VerifyGuestImageAsync(string directory, CancellationToken cancellationToken) =>
        Directory.Exists(directory)
            ? await GuestImageVerifier.VerifyAsync(new GuestImageLayout(directory), null, cancellationToken).ConfigureAwait(false)
            : null;

    /// <summary>The install's error for a guest image that does not match its manifest.</summary>
    /// <param name="what">The image in words, e.g. "the guest image copied from /src/guest".</param>
    /// <param name="check">The failed check.</param>
    public static InstallException DamagedGuestImage(string what, GuestImageVerification check) =>
        new($"{what} does not match its manifest: {string.Join("; ", check.Problems)}. " +
            "Rebuild it (./build.sh, or scripts/build-guest.sh) and install again");

    /// <summary>The install succeeded: the set-aside copy goes.</summary>
    public static void Commit(InstallStep step)
    {
        if (step.ReplacedDirectory is { } replaced)
        {
            DeleteDirectory(replaced);
        }
    }

    public static void Undo(InstallStep step)
    {
        foreach (var path in step.CreatedPaths.OrderByDescending(p => p.Length))
        {
            if (Directory.Exists(path) && new FileInfo(path).LinkTarget is null)
            {
                DeleteDirectory(path);
            }
            else
            {
                File.Delete(path);
            }
        }
        if (step.ReplacedDirectory is { } replaced && Directory.Exists(replaced) && step.Path is { } lib)
        {
            DeleteDirectory(lib);
            Directory.Move(replaced, lib);
        }
    }

    private static void Link(string link, string target, List<string> created)
    {
        CheckReplaceable(link);
        if (new FileInfo(link).LinkTarget is { } existing)
        {
            if (existing == target)
            {
                return;
            }
            File.Delete(link);
        }
        else
        {
            created.Add(link);
        }
        File.CreateSymbolicLink(link, target);
    }

    // Never overwrite a binary GuestPull did not put there.
    private static void CheckReplaceable(string path)
    {
        var info = new FileInfo(path);
        if (info.Exists && info.LinkTarget is null && !File.ReadAllText(path).StartsWith("#!/bin/sh\nexec dotnet", StringComparison.Ordinal))
        {
            throw new InstallException($"{path} exists and is not a link GuestPull made; remove it or install elsewhere with --prefix");
        }
    }

    private static void CopyDirectory(string source, string destination)
    {
        Directory.CreateDirectory(destination);
        foreach (var file in Directory.EnumerateFiles(source))
        {
            var target = Path.Combine(destination, Path.GetFileName(file));
            File.Copy(file, target);
            File.SetUnixFileMode(target, File.GetUnixFileMode(file));
        }
        foreach (var directory in Directory.EnumerateDirectories(source))
        {
            CopyDirectory(directory, Path.Combine(destination, Path.GetFileName(directory)));
        }
    }

    private static void DeleteDirectory(string path)
    {
        if (Directory.Exists(path))
        {
            TreeRemover.Delete(path);
        }
    }
}
