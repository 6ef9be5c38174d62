using System.Runtime.InteropServices;
using GuestPull.Linux.Interop;

namespace GuestPull.Linux;

/// <content>Changing owners, permissions and times.</content>
public static unsafe partial class FileSystemCalls
{
    /// <summary>fchownat(2) with AT_SYMLINK_NOFOLLOW: a symlink's own owner changes. "" means the descriptor itself (AT_EMPTY_PATH).</summary>
    /// <param name="directory">The parent directory (or the file, with an empty name).</param>
    /// <param name="name">The entry's name.</param>
    /// <param name="uid">New owner.</param>
    /// <param name="gid">New group.</param>
    public static void ChangeOwnerAt(SafeFileDescriptor directory, string name, uint uid, uint gid)
    {
        var flags = AtSymlinkNofollow | (name.Length == 0 ? AtEmptyPath : 0);
        if (LibC.FchownAt(directory, name, uid, gid, flags) != 0)
        {
            throw new NativeCallException(Marshal.GetLastPInvokeError(), "fchownat", name);
        }
    }

    /// <summary>fchown(2).</summary>
    /// <param name="descriptor">An open (not O_PATH) descriptor.</param>
    /// <param name="uid">New owner.</param>
    /// <param name="gid">New group.</param>
    public static void ChangeOwner(SafeFileDescriptor descriptor, uint uid, uint gid)
    {
        if (LibC.Fchown(descriptor, uid, gid) != 0)
        {
            throw new NativeCallException(Marshal.GetLastPInvokeError(), "fchown");
        }
    }

    /// <summary>
    /// fchmodat(2). The kernel always follows a symlink at <paramref name="name"/>, so only call this
    /// for a name known not to be a symlink (e.g. a node this process just created).
    /// </summary>
    /// <param name="directory">The parent directory.</param>
    /// <param name="name">The entry's name.</param>
    /// <param name="mode">The permission bits, 07777.</param>
    public static void ChangeModeAt(SafeFileDescriptor directory, string name, uint mode)
    {
        if (LibC.FchmodAt(directory, name, mode & 0xFFF, 0) != 0)
        {
            throw new NativeCallException(Marshal.GetLastPInvokeError(), "fchmodat", name);
        }
    }

    /// <summary>fchmod(2).</summary>
    /// <param name="descriptor">An open (not O_PATH) descriptor.</param>
    /// <param name="mode">The permission bits, 07777.</param>
    public static void ChangeMode(SafeFileDescriptor descriptor, uint mode)
    {
        if (LibC.Fchmod(descriptor, mode & 0xFFF) != 0)
        {
            throw new NativeCallException(Marshal.GetLastPInvokeError(), "fchmod");
        }
    }

    /// <summary>utimensat(2) with AT_SYMLINK_NOFOLLOW: a symlink's own times change.</summary>
    /// <param name="directory">The parent directory.</param>
    /// <param name="name">The entry's name.</param>
    /// <param name="access">Access time.</param>
    /// <param name="modification">Modification time.</param>
    public static void SetTimesAt(SafeFileDescriptor directory, string name, UnixTimestamp access, UnixTimestamp modification)
    {
        var times = stackalloc LibC.Timespec[2];
        times[0] = ToTimespec(access);
        times[1] = ToTimespec(modification);
        if (LibC.UtimensAt(directory, name, times, AtSymlinkNofollow) != 0)
        {
            throw new NativeCallException(Marshal.GetLastPInvokeError(), "utimensat", name);
        }
    }

    /// <summary>futimens(3).</summary>
    /// <param name="descriptor">An open (not O_PATH) descriptor.</param>
    /// <param name="access">Access time.</param>
    /// <param name="modification">Modification time.</param>
    public static void SetTimes(SafeFileDescriptor descriptor, UnixTimestamp access, UnixTimestamp modification)
    {
        var times = stackalloc LibC.Timespec[2];
        times[0] = ToTimespec(access);
        times[1] = ToTimespec(modification);
        if (LibC.Futimens(descriptor, times) != 0)
        {
            throw new NativeCallException(Marshal.GetLastPInvokeError(), "futimens");
        }
    }

    private static LibC.Timespec ToTimespec(UnixTimestamp time) => new() { Seconds = time.Seconds, Nanoseconds = time.Nanoseconds };
}
