using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using GuestPull.Linux.Interop;

namespace GuestPull.Linux;

/// <summary>
/// mount(2) and umount2(2), plus a mount table lookup. Methods named <c>Try…</c> return 0 or an
/// errno for conditions callers expect (EINVAL, ENODEV, EPERM, EBUSY); the others throw
/// <see cref="NativeCallException"/>.
/// </summary>
public static partial class Mounts
{
    /// <summary>MS_RDONLY.</summary>
    public const ulong ReadOnly = 0x1;

    /// <summary>MS_NOSUID.</summary>
    public const ulong NoSuid = 0x2;

    /// <summary>MS_NODEV.</summary>
    public const ulong NoDev = 0x4;

    /// <summary>MS_NOEXEC.</summary>
    public const ulong NoExec = 0x8;

    /// <summary>MS_REMOUNT.</summary>
    public const ulong Remount = 0x20;

    /// <summary>MS_BIND.</summary>
    public const ulong Bind = 0x1000;

    /// <summary>MS_REC.</summary>
    public const ulong Recursive = 0x4000;

    /// <summary>MS_SHARED: mounts below propagate to the copies in other mount namespaces.</summary>
    public const ulong Shared = 0x100000;

    /// <summary>MS_PRIVATE.</summary>
    public const ulong Private = 0x40000;

    /// <summary>umount2 MNT_FORCE.</summary>
    public const int UnmountForce = 0x1;

    /// <summary>umount2 MNT_DETACH: lazy unmount, completed when the mount is no longer busy.</summary>
    public const int UnmountDetach = 0x2;

    /// <summary>umount2 UMOUNT_NOFOLLOW: do not follow a symlink at the target.</summary>
    public const int UnmountNoFollow = 0x8;

    /// <summary>ENODEV (19), what mount(2) reports for a file system type the kernel lacks.</summary>
    public const int ErrnoNoDevice = 19;

    /// <summary>The most a mount(2) data string may hold (one page, terminating NUL included).</summary>
    public const int MaxDataLength = 4095;

    private const string MountInfoPath = "/proc/self/mountinfo";

    static Mounts()
    {
        // LibC's static constructor registers the resolver that maps "libc" to the real library.
        RuntimeHelpers.RunClassConstructor(typeof(LibC).TypeHandle);
    }

    /// <summary>mount(2). Returns 0 or the errno.</summary>
    /// <param name="source">The source (device, directory or a file system name such as <c>overlay</c>).</param>
    /// <param name="target">The mount point.</param>
    /// <param name="fileSystemType">The file system type, e.g. <c>overlay</c>; null for bind and propagation changes.</param>
    /// <param name="flags">MS_* flags (the constants of this class).</param>
    /// <param name="data">File-system specific options, e.g. <c>lowerdir=…,upperdir=…</c>.</param>
    public static int TryMount(string source, string target, string? fileSystemType, ulong flags, string? data)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        if (data is not null && Encoding.UTF8.GetByteCount(data) > MaxDataLength)
        {
            throw new ArgumentException($"mount options for '{target}' are {Encoding.UTF8.GetByteCount(data)} bytes, more than the kernel's {MaxDataLength}", nameof(data));
        }

        while (true)
        {
            if (MountNative(source, target, fileSystemType, (nuint)flags, data) == 0)
            {
                return 0;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno != Errno.EINTR)
            {
                return errno;
            }
        }
    }

    /// <summary>mount(2), throwing on failure.</summary>
    /// <param name="source">The source.</param>
    /// <param name="target">The mount point.</param>
    /// <param name="fileSystemType">The file system type, or null.</param>
    /// <param name="flags">MS_* flags.</param>
    /// <param name="data">File-system specific options.</param>
    public static void Mount(string source, string target, string? fileSystemType, ulong flags, string? data)
    {
        var errno = TryMount(source, target, fileSystemType, flags, data);
        if (errno != 0)
        {
            throw new NativeCallException(errno, "mount", source, target);
        }
    }

    /// <summary>umount2(2). Returns 0 or the errno (EINVAL: not a mount point; EBUSY: in use).</summary>
    /// <param name="target">The mount point.</param>
    /// <param name="flags">MNT_*/UMOUNT_* flags (the constants of this class).</param>
    public static int TryUnmount(string target, int flags = UnmountNoFollow)
    {
        ArgumentNullException.ThrowIfNull(target);
        while (true)
        {
            if (Umount2Native(target, flags) == 0)
            {
                return 0;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno != Errno.EINTR)
            {
                return errno;
            }
        }
    }

    /// <summary>umount2(2), throwing on failure.</summary>
    /// <param name="target">The mount point.</param>
    /// <param name="flags">MNT_*/UMOUNT_* flags.</param>
    public static void Unmount(string target, int flags = UnmountNoFollow)
    {
        var errno = TryUnmount(target, flags);
        if (errno != 0)
        {
            throw new NativeCallException(errno, "umount2", target);
        }
    }

    /// <summary>
    /// Whether <paramref name="path"/> (absolute, without a trailing slash, symlinks already resolved)
    /// is a mount point in this process's mount namespace, read from /proc/self/mountinfo.
    /// </summary>
    /// <param name="path">The absolute path.</param>
    public static bool IsMountPoint(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var wanted = path.Length > 1 ? path.TrimEnd('/') : path;
        foreach (var line in File.ReadLines(MountInfoPath))
        {
            // "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw": field 5 is the mount point.
            var fields = line.Split(' ');
            if (fields.Length > 4 && Unescape(fields[4]) == wanted)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The mount points at or below <paramref name="directory"/> in this process's mount namespace,
    /// deepest first (the order they can be unmounted in), read from /proc/self/mountinfo.
    /// </summary>
    /// <param name="directory">An absolute path, symlinks already resolved.</param>
    public static IReadOnlyList<string> MountPointsUnder(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var root = directory.Length > 1 ? directory.TrimEnd('/') : directory;
        var prefix = root == "/" ? root : root + "/";
        var found = new List<string>();
        foreach (var line in File.ReadLines(MountInfoPath))
        {
            var fields = line.Split(' ');
            if (fields.Length > 4 && Unescape(fields[4]) is var mountPoint && (mountPoint == root || mountPoint.StartsWith(prefix, StringComparison.Ordinal)))
            {
                found.Add(mountPoint);
            }
        }

        return [.. found.OrderByDescending(mountPoint => mountPoint.Length)];
    }

    /// <summary>Undoes mountinfo's octal escapes (<c>\040</c> for a space, <c>\134</c> for a backslash, ...).</summary>
    private static string Unescape(string field)
    {
        if (!field.Contains('\\', StringComparison.Ordinal))
        {
            return field;
        }

        var bytes = new List<byte>(field.Length);
        var raw = Encoding.UTF8.GetBytes(field);
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] == (byte)'\\' && i + 3 < raw.Length && IsOctal(raw[i + 1]) && IsOctal(raw[i + 2]) && IsOctal(raw[i + 3]))
            {
                bytes.Add((byte)(((raw[i + 1] - '0') << 6) | ((raw[i + 2] - '0') << 3) | (raw[i + 3] - '0')));
                i += 3;
            }
            else
            {
                bytes.Add(raw[i]);
            }
        }

        return Encoding.UTF8.GetString([.. bytes]);
    }

    private static bool IsOctal(byte b) => b is >= (byte)'0' and <= (byte)'7';

    [LibraryImport(LibC.Library, EntryPoint = "mount", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MountNative(string source, string target, string? fileSystemType, nuint flags, string? data);

    [LibraryImport(LibC.Library, EntryPoint = "umount2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Umount2Native(string target, int flags);
}
