namespace GuestPull.IntegrationTests.Vm;

/// <summary>The guest image <c>./build.sh</c> (scripts/build-guest.sh) writes into artifacts/bin/guest/.</summary>
internal sealed record GuestImage(string Kernel, string Initramfs)
{
    /// <summary>Finds artifacts/bin/guest/ above the test binaries (the repository root), or fails with how to build it.</summary>
    public static GuestImage Locate()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var guest = Path.Combine(directory.FullName, "artifacts", "bin", "guest");
            if (File.Exists(Path.Combine(directory.FullName, "GuestPull.slnx")))
            {
                var image = new GuestImage(Path.Combine(guest, "vmlinux"), Path.Combine(guest, "initramfs.cpio.gz"));
                return File.Exists(image.Kernel) && File.Exists(image.Initramfs)
                    ? image
                    : throw new FileNotFoundException($"no guest image in {guest}: run ./build.sh (or scripts/build-guest.sh after publishing guestpull-agent)");
            }
        }

        throw new DirectoryNotFoundException($"no repository root above {AppContext.BaseDirectory}");
    }
}
