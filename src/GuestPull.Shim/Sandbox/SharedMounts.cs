using GuestPull.Linux;

namespace GuestPull.Shim.Sandbox;

/// <summary>
/// The host side of a pod's shared directory: a bind mount of itself marked shared, so what the shim
/// mounts below it later propagates into the sandbox's mount namespace (a slave copy).
/// </summary>
internal static class SharedMounts
{
    public static void Prepare(string directory)
    {
        Directory.CreateDirectory(directory);
        if (!Mounts.IsMountPoint(directory))
        {
            Mounts.Mount(directory, directory, null, Mounts.Bind, null);
        }

        Mounts.Mount("none", directory, null, Mounts.Shared, null);
    }

    /// <summary>Unmounts everything at or below <paramref name="directory"/>, deepest first, then removes it.</summary>
    public static void Remove(string directory)
    {
        foreach (var mountPoint in Mounts.MountPointsUnder(directory))
        {
            _ = Mounts.TryUnmount(mountPoint, Mounts.UnmountDetach | Mounts.UnmountNoFollow);
        }

        TreeRemover.Delete(directory);
    }
}
