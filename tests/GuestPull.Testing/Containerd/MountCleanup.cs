using GuestPull.Linux;

namespace GuestPull.Testing.Containerd;

/// Lazily unmounts what a test's containerd (or its shims) left mounted under a directory, so the
/// directory can be deleted. Best effort: cleanup must not hide a test's own failure.
internal static class MountCleanup
{
    public static void UnmountUnder(string directory)
    {
        IReadOnlyList<string> mountPoints;
        try
        {
            mountPoints = Mounts.MountPointsUnder(directory);
        }
        catch (IOException)
        {
            return;
        }

        // Deepest first (MountPointsUnder's order), so a mount on top of another goes before the one below it.
        foreach (var mountPoint in mountPoints.Where(m => m != directory.TrimEnd('/')))
        {
            _ = Mounts.TryUnmount(mountPoint, Mounts.UnmountDetach);
        }
    }
}
