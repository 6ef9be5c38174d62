using System.Runtime.InteropServices;
using System.Text;
using GuestPull.Linux.Interop;

namespace GuestPull.Linux;

/// <summary>
/// File system system calls, all relative to directory descriptors. Methods named <c>Try…</c>
/// return 0 or an errno for conditions callers expect (ENOENT, EEXIST); the others throw
/// <see cref="NativeCallException"/>.
/// </summary>
public static unsafe class FileSystemCalls
{
    internal const int AtSymlinkNofollow = 0x100;
    internal const int AtRemoveDir = 0x200;
    internal const int AtEmptyPath = 0x1000;
    private const uint StatxBasicStats = 0x7ff;
    private const int PathMax = 4096;
    private const int Openat2Retries = 32;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private static volatile bool _openat2Missing;

    /// <summary>Whether the running kernel lacks openat2(2) (so <see cref="OpenInRoot"/> walks paths in user space).</summary>
    public static bool IsOpenat2Missing => _openat2Missing;

    /// <summary>Opens an absolute (or working-directory relative) path, following symlinks.</summary>
    /// <param name="path">The path.</param>
    /// <param name="flags">Open flags.</param>
    /// <param name="mode">Permissions for a created file.</param>
    public static SafeFileDescriptor Open(string path, OpenFlags flags, uint mode = 0)
    {
        int fd;
        do
        {
            fd = LibC.Open(path, NativeOpenFlags.Translate(flags), mode);
        }
        while (fd < 0 && Marshal.GetLastPInvokeError() == Errno.EINTR);

        return fd >= 0 ? new SafeFileDescriptor(fd) : throw new NativeCallException(Marshal.GetLastPInvokeError(), "open", path);
    }

    /// <summary>openat(2). Returns 0 or the errno.</summary>
    /// <param name="directory">The directory <paramref name="path"/> is relative to.</param>
    /// <param name="path">The path.</param>
    /// <param name="flags">Open flags.</param>
    /// <param name="mode">Permissions for a created file.</param>
    /// <param name="descriptor">The opened descriptor, when the call succeeded.</param>
    public static int TryOpenAt(SafeFileDescriptor directory, string path, OpenFlags flags, uint mode, out SafeFileDescriptor? descriptor)
    {
        var native = NativeOpenFlags.Translate(flags);
        while (true)
        {
            var fd = LibC.OpenAt(directory, path, native, mode);
            if (fd >= 0)
            {
                descriptor = new SafeFileDescriptor(fd);
                return 0;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno != Errno.EINTR)
            {
                descriptor = null;
                return errno;
            }
        }
    }

    /// <summary>openat(2).</summary>
    /// <param name="directory">The directory <paramref name="path"/> is relative to.</param>
    /// <param name="path">The path.</param>
    /// <param name="flags">Open flags.</param>
    /// <param name="mode">Permissions for a created file.</param>
    public static SafeFileDescriptor OpenAt(SafeFileDescriptor directory, string path, OpenFlags flags, uint mode = 0)
    {
        var errno = TryOpenAt(directory, path, flags, mode, out var descriptor);
        return errno == 0 ? descriptor! : throw new NativeCallException(errno, "openat", path);
    }

    /// <summary>openat2(2) with the given resolve flags. Returns 0 or the errno (ENOSYS when the kernel lacks it).</summary>
    /// <param name="directory">The directory <paramref name="path"/> is relative to.</param>
    /// <param name="path">The path.</param>
    /// <param name="flags">Open flags.</param>
    /// <param name="mode">Permissions for a created file.</param>
    /// <param name="resolve">RESOLVE_* restrictions.</param>
    /// <param name="descriptor">The opened descriptor, when the call succeeded.</param>
    public static int TryOpenat2(SafeFileDescriptor directory, string path, OpenFlags flags, uint mode, ResolveFlags resolve, out SafeFileDescriptor? descriptor)
    {
        var how = new LibC.OpenHow
        {
            Flags = (ulong)NativeOpenFlags.Translate(flags),
            // openat2 rejects a mode without O_CREAT.
            Mode = flags.HasFlag(OpenFlags.Create) ? mode : 0,
            Resolve = (ulong)resolve,
        };
        for (var attempt = 0; ; attempt++)
        {
            var fd = LibC.SyscallOpenat2(LibC.SysOpenat2, directory, path, &how, (nuint)sizeof(LibC.OpenHow));
            if (fd >= 0)
            {
                descriptor = new SafeFileDescriptor((int)fd);
                return 0;
            }

            var errno = Marshal.GetLastPInvokeError();
            // EAGAIN: a concurrent rename raced with ".." resolution; the kernel asks us to retry.
            if (errno == Errno.EINTR || (errno == Errno.EAGAIN && attempt < Openat2Retries))
            {
                continue;
            }

            descriptor = null;
            return errno;
        }
    }

    /// <summary>
    /// Opens <paramref name="path"/> as if <paramref name="root"/> were "/": "..", absolute paths and
    /// absolute symlinks never leave it and magic links are refused (openat2 with RESOLVE_IN_ROOT |
    /// RESOLVE_NO_MAGICLINKS; on kernels without openat2, <see cref="InRootPathWalker"/>).
    /// Returns 0 or the errno.
    /// </summary>
    /// <param name="root">The directory that acts as "/".</param>
    /// <param name="path">The path inside the root.</param>
    /// <param name="flags">Open flags; <see cref="OpenFlags.NoFollow"/> applies to the last component only.</param>
    /// <param name="mode">Permissions for a created file.</param>
    /// <param name="descriptor">The opened descriptor, when the call succeeded.</param>
    public static int TryOpenInRoot(SafeFileDescriptor root, string path, OpenFlags flags, uint mode, out SafeFileDescriptor? descriptor)
    {
        if (!_openat2Missing)
        {
            var errno = TryOpenat2(root, path.Length == 0 ? "." : path, flags, mode, ResolveFlags.InRoot | ResolveFlags.NoMagicLinks, out descriptor);
            if (errno != Errno.ENOSYS)
            {
                return errno;
            }

            _openat2Missing = true;
        }

        return InRootPathWalker.TryOpen(root, path, flags, mode, createMissingDirectoriesMode: null, out descriptor);
    }

    /// <summary>Like <see cref="TryOpenInRoot"/>, throwing on failure.</summary>
    /// <param name="root">The directory that acts as "/".</param>
    /// <param name="path">The path inside the root.</param>
    /// <param name="flags">Open flags.</param>
    /// <param name="mode">Permissions for a created file.</param>
    public static SafeFileDescriptor OpenInRoot(SafeFileDescriptor root, string path, OpenFlags flags, uint mode = 0)
    {
        var errno = TryOpenInRoot(root, path, flags, mode, out var descriptor);
        return errno == 0 ? descriptor! : throw new NativeCallException(errno, "openat2", path);
    }

    /// <summary>mkdirat(2). Returns 0 or the errno.</summary>
    /// <param name="directory">The parent directory.</param>
    /// <param name="name">The new directory's name.</param>
    /// <param name="mode">Its permissions (the umask applies).</param>
    public static int TryMakeDirectoryAt(SafeFileDescriptor directory, string name, uint mode)
        => LibC.MkdirAt(directory, name, mode) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>mkdirat(2).</summary>
    /// <param name="directory">The parent directory.</param>
    /// <param name="name">The new directory's name.</param>
    /// <param name="mode">Its permissions (the umask applies).</param>
    public static void MakeDirectoryAt(SafeFileDescriptor directory, string name, uint mode)
        => ThrowIfFailed(TryMakeDirectoryAt(directory, name, mode), "mkdirat", name);

    /// <summary>mknodat(2) for devices, FIFOs and sockets. Returns 0 or the errno.</summary>
    /// <param name="directory">The parent directory.</param>
    /// <param name="name">The node's name.</param>
    /// <param name="type">The node type.</param>
    /// <param name="permissions">Its permissions (the umask applies).</param>
    /// <param name="device">For devices, the <see cref="MakeDevice"/> number.</param>
    public static int TryMakeNodeAt(SafeFileDescriptor directory, string name, FileType type, uint permissions, ulong device)
        => LibC.MknodAt(directory, name, (uint)type | (permissions & 0xFFF), device) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>mknodat(2).</summary>
    /// <param name="directory">The parent directory.</param>
    /// <param name="name">The node's name.</param>
    /// <param name="type">The node type.</param>
    /// <param name="permissions">Its permissions (the umask applies).</param>
    /// <param name="device">For devices, the <see cref="MakeDevice"/> number.</param>
    public static void MakeNodeAt(SafeFileDescriptor directory, string name, FileType type, uint permissions, ulong device)
        => ThrowIfFailed(TryMakeNodeAt(directory, name, type, permissions, device), "mknodat", name);

    /// <summary>symlinkat(2): creates <paramref name="name"/> pointing at <paramref name="target"/> (stored as is). Returns 0 or the errno.</summary>
    /// <param name="target">The link's content.</param>
    /// <param name="directory">The parent directory.</param>
    /// <param name="name">The link's name.</param>
    public static int TryCreateSymbolicLinkAt(string target, SafeFileDescriptor directory, string name)
        => LibC.SymlinkAt(target, directory, name) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>symlinkat(2).</summary>
    /// <param name="target">The link's content.</param>
    /// <param name="directory">The parent directory.</param>
    /// <param name="name">The link's name.</param>
    public static void CreateSymbolicLinkAt(string target, SafeFileDescriptor directory, string name)
        => ThrowIfFailed(TryCreateSymbolicLinkAt(target, directory, name), "symlinkat", name, target);

    /// <summary>
    /// linkat(2) without AT_SYMLINK_FOLLOW: a symlink at the old name is linked itself. With
    /// <paramref name="emptyPath"/>, <paramref name="oldName"/> must be "" and the file is the one
    /// <paramref name="oldDirectory"/> refers to (AT_EMPTY_PATH; needs CAP_DAC_READ_SEARCH). Returns 0 or the errno.
    /// </summary>
    /// <param name="oldDirectory">The existing file's directory (or the file itself).</param>
    /// <param name="oldName">The existing file's name.</param>
    /// <param name="newDirectory">The new link's directory.</param>
    /// <param name="newName">The new link's name.</param>
    /// <param name="emptyPath">Link the file <paramref name="oldDirectory"/> refers to.</param>
    public static int TryLinkAt(SafeFileDescriptor oldDirectory, string oldName, SafeFileDescriptor newDirectory, string newName, bool emptyPath = false)
        => LibC.LinkAt(oldDirectory, oldName, newDirectory, newName, emptyPath ? AtEmptyPath : 0) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>linkat(2), see <see cref="TryLinkAt"/>.</summary>
    /// <param name="oldDirectory">The existing file's directory.</param>
    /// <param name="oldName">The existing file's name.</param>
    /// <param name="newDirectory">The new link's directory.</param>
    /// <param name="newName">The new link's name.</param>
    public static void LinkAt(SafeFileDescriptor oldDirectory, string oldName, SafeFileDescriptor newDirectory, string newName)
        => ThrowIfFailed(TryLinkAt(oldDirectory, oldName, newDirectory, newName), "linkat", oldName, newName);

    /// <summary>unlinkat(2). Returns 0 or the errno.</summary>
    /// <param name="directory">The parent directory.</param>
    /// <param name="name">The name to remove.</param>
    /// <param name="removeDirectory">Remove an empty directory (AT_REMOVEDIR).</param>
    public static int TryUnlinkAt(SafeFileDescriptor directory, string name, bool removeDirectory = false)
        => LibC.UnlinkAt(directory, name, removeDirectory ? AtRemoveDir : 0) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>unlinkat(2).</summary>
    /// <param name="directory">The parent directory.</param>
    /// <param name="name">The name to remove.</param>
    /// <param name="removeDirectory">Remove an empty directory (AT_REMOVEDIR).</param>
    public static void UnlinkAt(SafeFileDescriptor directory, string name, bool removeDirectory = false)
        => ThrowIfFailed(TryUnlinkAt(directory, name, removeDirectory), "unlinkat", name);

    /// <summary>renameat2(2).</summary>
    /// <param name="oldDirectory">The source's directory.</param>
    /// <param name="oldName">The source's name.</param>
    /// <param name="newDirectory">The destination's directory.</param>
    /// <param name="newName">The destination's name.</param>
    /// <param name="flags">RENAME_* flags.</param>
    public static void RenameAt(SafeFileDescriptor oldDirectory, string oldName, SafeFileDescriptor newDirectory, string newName, RenameFlags flags = RenameFlags.None)
    {
        if (LibC.RenameAt2(oldDirectory, oldName, newDirectory, newName, (uint)flags) != 0)
        {
            throw new NativeCallException(Marshal.GetLastPInvokeError(), "renameat2", oldName, newName);
        }
    }

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

        status = new FileStatus
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
        };
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

    /// <summary>Writes all of <paramref name="data"/> (write(2) in a loop).</summary>
    /// <param name="descriptor">An open descriptor.</param>
    /// <param name="data">The bytes.</param>
    public static void WriteAll(SafeFileDescriptor descriptor, ReadOnlySpan<byte> data)
    {
        fixed (byte* start = data)
        {
            var offset = 0;
            while (offset < data.Length)
            {
                var written = LibC.Write(descriptor, start + offset, (nuint)(data.Length - offset));
                if (written < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == Errno.EINTR)
                    {
                        continue;
                    }

                    throw new NativeCallException(errno, "write");
                }

                if (written == 0)
                {
                    throw new NativeCallException(Errno.EIO, "write");
                }

                offset += (int)written;
            }
        }
    }

    /// <summary>read(2) once; returns 0 at end of file.</summary>
    /// <param name="descriptor">An open descriptor.</param>
    /// <param name="buffer">Where to put the bytes.</param>
    public static int Read(SafeFileDescriptor descriptor, Span<byte> buffer)
    {
        fixed (byte* start = buffer)
        {
            while (true)
            {
                var count = LibC.Read(descriptor, start, (nuint)buffer.Length);
                if (count >= 0)
                {
                    return (int)count;
                }

                var errno = Marshal.GetLastPInvokeError();
                if (errno != Errno.EINTR)
                {
                    throw new NativeCallException(errno, "read");
                }
            }
        }
    }

    /// <summary>The names in a directory, without "." and "..".</summary>
    /// <param name="directory">The directory (an O_PATH descriptor is fine).</param>
    public static List<string> ReadDirectoryNames(SafeFileDescriptor directory)
    {
        // fdopendir takes the descriptor over, so hand it a fresh one.
        var errno = TryOpenAt(directory, ".", OpenFlags.ReadOnly | OpenFlags.Directory, 0, out var own);
        if (errno != 0)
        {
            throw new NativeCallException(errno, "openat", ".");
        }

        var dir = LibC.FdOpenDir(own!.Number);
        if (dir == IntPtr.Zero)
        {
            var error = Marshal.GetLastPInvokeError();
            own.Dispose();
            throw new NativeCallException(error, "fdopendir");
        }

        own.SetHandleAsInvalid();
        var names = new List<string>();
        try
        {
            while (true)
            {
                var entry = LibC.ReadDir(dir);
                if (entry == null)
                {
                    var error = Marshal.GetLastPInvokeError();
                    if (error != 0)
                    {
                        throw new NativeCallException(error, "readdir");
                    }

                    return names;
                }

                var name = MemoryMarshal.CreateReadOnlySpanFromNullTerminated(&entry->NameStart);
                if (name.SequenceEqual("."u8) || name.SequenceEqual(".."u8))
                {
                    continue;
                }

                try
                {
                    names.Add(StrictUtf8.GetString(name));
                }
                catch (DecoderFallbackException e)
                {
                    throw new IOException("readdir: a directory entry name is not valid UTF-8", e);
                }
            }
        }
        finally
        {
            LibC.CloseDir(dir);
        }
    }

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

    private static LibC.Timespec ToTimespec(UnixTimestamp time) => new() { Seconds = time.Seconds, Nanoseconds = time.Nanoseconds };

    private static void ThrowIfFailed(int errno, string syscall, string path, string? secondPath = null)
    {
        if (errno != 0)
        {
            throw new NativeCallException(errno, syscall, path, secondPath);
        }
    }
}
