namespace GuestPull.Configuration.Sandbox;

/// <summary>
/// The files of the sandbox VM's guest image (scripts/build-guest.sh): <c>vmlinux</c>,
/// <c>initramfs.cpio.gz</c> and <c>manifest.json</c> in one directory. The default directory is
/// <c>guest/</c> next to the running GuestPull binaries, so the build tree (artifacts/bin) and an
/// installed copy (the install's lib directory) both find theirs without configuration.
/// </summary>
public sealed record GuestImageLayout(string Directory)
{
    /// <summary>The directory name below the application directory.</summary>
    public const string DirectoryName = "guest";

    /// <summary>The image next to the running application.</summary>
    public static GuestImageLayout Default { get; } = new(Path.Combine(AppContext.BaseDirectory, DirectoryName));

    /// <summary>The uncompressed kernel QEMU boots through PVH.</summary>
    public string Kernel => Path.Combine(Directory, "vmlinux");

    /// <summary>The gzip'd newc initramfs with the agent as PID 1's successor.</summary>
    public string Initramfs => Path.Combine(Directory, "initramfs.cpio.gz");

    /// <summary>The kernel package's name and version and the SHA-256 of every output.</summary>
    public string Manifest => Path.Combine(Directory, "manifest.json");
}
