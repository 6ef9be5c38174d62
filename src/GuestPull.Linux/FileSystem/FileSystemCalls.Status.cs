using System.Runtime.InteropServices;
using System.Text;
using GuestPull.Linux.Interop;

namespace GuestPull.Linux;

/// <content>statx, readlink and device numbers.</content>
public static unsafe partial class FileSystemCalls
{
    private const uint StatxBasicStats = 0x7ff;
    private const int PathMax = 4096;
    private const int AtFdCwd = -100;
    private const ulong StatxAttributeMountRoot = 0x2000;

    /// <summary>
    /// fstatat(2) (through statx, whose layout is the same on every architecture). Returns false
    /// when the name does not exist (ENOENT, ENOTDIR); throws on other errors. "" means the
    /// descriptor itself.
    /// </summary>
    /// <param name="directory">The parent directory (or the file, with an empty name).</param>
    /// <param name="name">The entry's name.</param>
    /// <param name="status">What the kernel reported.</param>
    /// <param name="followSymlinks">Follow a symlink at <paramref name="name"/>.</param>
    public static bool TryStatAt(SafeFileDescriptor directory, string name, out FileStatus status, bool followSymlinks = false)
    {
        LibC.StatxBuffer buffer;
        var flags = (followSymlinks ? 0 : AtSymlinkNofollow) | (name.Length == 0 ? AtEmptyPath : 0);
        if (LibC.Statx(directory, name, flags, StatxBasicStats, &buffer) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno is Errno.ENOENT or Errno.ENOTDIR)
            {
                status = default;
                return false;
            }

            throw new NativeCallException(errno, "statx", name);
        }

        status = ToFileStatus(buffer);
        return true;
    }

    /// <summary>
    /// stat(2) of a path (absolute, or relative to the working directory), without following a
    /// symlink at its last component unless asked to. Returns false when the path does not exist
    /// (ENOENT, ENOTDIR); throws on other errors.
    /// </summary>
    /// <param name="path">The path.</param>
    /// <param name="status">What the kernel reported.</param>
    /// <param name="followSymlinks">Follow a symlink at the last component.</param>
    public static bool TryStat(string path, out FileStatus status, bool followSymlinks = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        LibC.StatxBuffer buffer;
        if (LibC.Statx(AtFdCwd, path, followSymlinks ? 0 : AtSymlinkNofollow, StatxBasicStats, &buffer) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno is Errno.ENOENT or Errno.ENOTDIR)
            {
                status = default;
                return false;
            }

            throw new NativeCallException(errno, "statx", path);
        }

        status = ToFileStatus(buffer);
        return true;
    }

    /// <summary>fstatat(2), throwing when the name does not exist.</summary>
    /// <param name="directory">The parent directory (or the file, with an empty name).</param>
    /// <param name="name">The entry's name.</param>
    /// <param name="followSymlinks">Follow a symlink at <paramref name="name"/>.</param>
    public static FileStatus StatAt(SafeFileDescriptor directory, string name, bool followSymlinks = false)
        => TryStatAt(directory, name, out var status, followSymlinks) ? status : throw new NativeCallException(Errno.ENOENT, "statx", name);

    /// <summary>fstat(2) of a descriptor (O_PATH descriptors too).</summary>
    /// <param name="descriptor">The descriptor.</param>
    public static FileStatus Stat(SafeFileDescriptor descriptor) => StatAt(descriptor, string.Empty);

    /// <summary>readlinkat(2). "" reads the symlink an O_PATH|O_NOFOLLOW descriptor refers to.</summary>
    /// <param name="directory">The parent directory (or the link).</param>
    /// <param name="name">The link's name.</param>
    public static string ReadLinkAt(SafeFileDescriptor directory, string name)
    {
        var buffer = stackalloc byte[PathMax + 1];
        var length = LibC.ReadLinkAt(directory, name, buffer, PathMax + 1);
        if (length < 0)
        {
            throw new NativeCallException(Marshal.GetLastPInvokeError(), "readlinkat", name);
        }

        if (length > PathMax)
        {
            throw new NativeCallException(Errno.ENAMETOOLONG, "readlinkat", name);
        }

        try
        {
            return StrictUtf8.GetString(buffer, (int)length);
        }
        catch (DecoderFallbackException e)
        {
            throw new IOException($"readlinkat('{name}'): the link target is not valid UTF-8", e);
        }
    }

    private static FileStatus ToFileStatus(in LibC.StatxBuffer buffer) => new()
    {
        Mode = buffer.Mode,
        Uid = buffer.Uid,
        Gid = buffer.Gid,
        Size = (long)buffer.Size,
        Inode = buffer.Inode,
        LinkCount = buffer.LinkCount,
        Device = MakeDevice(buffer.DevMajor, buffer.DevMinor),
        DeviceNumber = MakeDevice(buffer.RdevMajor, buffer.RdevMinor),
        ModificationTime = new UnixTimestamp(buffer.MtimeSeconds, buffer.MtimeNanoseconds),
        // STATX_ATTR_MOUNT_ROOT exists since Linux 5.8; older kernels leave it out of the mask.
        IsMountRoot = (buffer.AttributesMask & StatxAttributeMountRoot) == 0 ? null : (buffer.Attributes & StatxAttributeMountRoot) != 0,
    };

    /// <summary>glibc's makedev(3) encoding of a device number.</summary>
    /// <param name="major">Major number.</param>
    /// <param name="minor">Minor number.</param>
    public static ulong MakeDevice(uint major, uint minor)
        => ((ulong)(major & 0xfffff000) << 32) | ((ulong)(major & 0xfff) << 8)
         | ((ulong)(minor & 0xffffff00) << 12) | (minor & 0xff);

    /// <summary>The major number of a <see cref="MakeDevice"/> value.</summary>
    /// <param name="device">The device number.</param>
    public static uint DeviceMajor(ulong device) => (uint)(((device >> 32) & 0xfffff000) | ((device >> 8) & 0xfff));

    /// <summary>The minor number of a <see cref="MakeDevice"/> value.</summary>
    /// <param name="device">The device number.</param>
    public static uint DeviceMinor(ulong device) => (uint)(((device >> 12) & 0xffffff00) | (device & 0xff));
}
