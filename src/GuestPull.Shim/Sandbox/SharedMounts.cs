using GuestPull.Linux;
using GuestPull.Shim.Native;

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

        Mounts.Mount("none", directory, null, ShimNative.MountShared, null);
    }

    /// <summary>Unmounts everything at or below <paramref name="directory"/>, deepest first, then removes it.</summary>
    public static void Remove(string directory)
    {
        foreach (var mountPoint in MountPointsUnder(directory).OrderByDescending(path => path.Length))
        {
            _ = Mounts.TryUnmount(mountPoint, Mounts.UnmountDetach | Mounts.UnmountNoFollow);
        }

        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    public static IReadOnlyList<string> MountPointsUnder(string directory)
    {
        var prefix = directory.TrimEnd('/') + "/";
        var result = new List<string>();
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            var fields = line.Split(' ');
            if (fields.Length > 4)
            {
                var mountPoint = fields[4].Replace("\\040", " ", StringComparison.Ordinal);
                if (mountPoint == directory.TrimEnd('/') || mountPoint.StartsWith(prefix, StringComparison.Ordinal))
                {
                    result.Add(mountPoint);
                }
            }
        }

        return result;
    }
}
