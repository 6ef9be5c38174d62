using GuestPull.Linux;

namespace GuestPull.Install.Doctor;

/// <summary>
/// The snapshotter root must host overlayfs upper and work directories, which needs d_type (xfs made
/// with ftype=0 lacks it). The decisive test is mounting a small overlay there.
/// </summary>
internal static class FileSystemChecks
{
    private static readonly string[] NoDirectoryTypes = ["xfs"];

    public static IEnumerable<DoctorFinding> Run(string snapshotterRoot)
    {
        var existing = NearestExisting(snapshotterRoot);
        var (type, mountPoint) = FileSystemOf(existing);
        yield return DirectoryTypeFinding(type, mountPoint, snapshotterRoot);
        yield return OverlayFinding(existing, type, snapshotterRoot);
    }

    internal static DoctorFinding DirectoryTypeFinding(string type, string mountPoint, string root)
    {
        if (!NoDirectoryTypes.Contains(type))
        {
            return new("snapshotter.d_type", DoctorStatus.Pass, $"{root} is on {type} ({mountPoint}), which records d_type", string.Empty);
        }
        return new("snapshotter.d_type", DoctorStatus.Warn, $"{root} is on {type} ({mountPoint}): d_type support depends on how it was made",
            $"xfs_info {mountPoint} must show ftype=1; otherwise move the root (--snapshotter-root) to another filesystem");
    }

    private static DoctorFinding OverlayFinding(string existing, string type, string root)
    {
        if (Environment.UserName != "root")
        {
            return new("snapshotter.overlayfs", DoctorStatus.Warn, "not running as root: cannot try an overlay mount", "run guestpull doctor as root");
        }
        var probe = Path.Combine(existing, $".guestpull-doctor-{Environment.ProcessId}");
        try
        {
            try
            {
                foreach (var name in new[] { "lower", "upper", "work", "merged" })
                {
                    Directory.CreateDirectory(Path.Combine(probe, name));
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return new("snapshotter.overlayfs", DoctorStatus.Fail, $"cannot create the overlay directories on {existing} ({type}): {ex.Message}",
                    $"put the snapshotter root ({root}) on a writable ext4 or xfs (ftype=1) filesystem");
            }
            var data = $"lowerdir={probe}/lower,upperdir={probe}/upper,workdir={probe}/work";
            var error = Mounts.TryMount("overlay", Path.Combine(probe, "merged"), "overlay", 0, data);
            if (error != 0)
            {
                return new("snapshotter.overlayfs", DoctorStatus.Fail,
                    $"an overlay mount on {existing} ({type}) failed: {new NativeCallException(error, "mount", probe).Message}",
                    $"load the overlay module (modprobe overlay) and put the snapshotter root ({root}) on ext4 or xfs with ftype=1");
            }
            _ = Mounts.TryUnmount(Path.Combine(probe, "merged"));
            return new("snapshotter.overlayfs", DoctorStatus.Pass, $"overlay mounts work on {existing} ({type})", string.Empty);
        }
        finally
        {
            try
            {
                TreeRemover.Delete(probe);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Still mounted after a failed unmount: leave it rather than hide the finding.
            }
        }
    }

    private static string NearestExisting(string path)
    {
        var current = Path.GetFullPath(path);
        while (!Directory.Exists(current))
        {
            current = Path.GetDirectoryName(current) ?? "/";
        }
        return current;
    }

    // The longest mount point above the path in /proc/self/mountinfo: fields[4] is the mount point, after " - " the type.
    private static (string Type, string MountPoint) FileSystemOf(string path)
    {
        var best = (Type: "unknown", MountPoint: "/");
        var bestLength = -1;
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            var fields = line.Split(' ');
            var separator = Array.IndexOf(fields, "-");
            if (fields.Length < 5 || separator < 0 || separator + 1 >= fields.Length)
            {
                continue;
            }
            var mountPoint = fields[4].Replace("\\040", " ", StringComparison.Ordinal);
            var under = mountPoint == "/" || path == mountPoint || path.StartsWith(mountPoint + "/", StringComparison.Ordinal);
            if (under && mountPoint.Length >= bestLength)
            {
                best = (fields[separator + 1], mountPoint);
                bestLength = mountPoint.Length;
            }
        }
        return best;
    }
}
