using System.Runtime.InteropServices;

namespace GuestPull.Linux.Interop;

internal static unsafe partial class LibC
{
    // openat2 has no glibc wrapper; new system calls share one number on every architecture.
    internal const long SysOpenat2 = 437;

    [LibraryImport(Library, EntryPoint = "syscall", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial long SyscallOpenat2(long number, SafeFileDescriptor dirfd, string path, OpenHow* how, nuint size);

    [LibraryImport(Library, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Open(string path, int flags, uint mode);

    [LibraryImport(Library, EntryPoint = "openat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int OpenAt(SafeFileDescriptor dirfd, string path, int flags, uint mode);

    [LibraryImport(Library, EntryPoint = "close", SetLastError = true)]
    internal static partial int Close(int fd);

    [LibraryImport(Library, EntryPoint = "mkdirat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int MkdirAt(SafeFileDescriptor dirfd, string path, uint mode);

    [LibraryImport(Library, EntryPoint = "mknodat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int MknodAt(SafeFileDescriptor dirfd, string path, uint mode, ulong device);

    [LibraryImport(Library, EntryPoint = "symlinkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int SymlinkAt(string target, SafeFileDescriptor dirfd, string linkPath);

    [LibraryImport(Library, EntryPoint = "linkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int LinkAt(SafeFileDescriptor oldDirfd, string oldPath, SafeFileDescriptor newDirfd, string newPath, int flags);

    [LibraryImport(Library, EntryPoint = "unlinkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int UnlinkAt(SafeFileDescriptor dirfd, string path, int flags);

    [LibraryImport(Library, EntryPoint = "renameat2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int RenameAt2(SafeFileDescriptor oldDirfd, string oldPath, SafeFileDescriptor newDirfd, string newPath, uint flags);

    [LibraryImport(Library, EntryPoint = "fchownat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int FchownAt(SafeFileDescriptor dirfd, string path, uint uid, uint gid, int flags);

    [LibraryImport(Library, EntryPoint = "fchown", SetLastError = true)]
    internal static partial int Fchown(SafeFileDescriptor fd, uint uid, uint gid);

    [LibraryImport(Library, EntryPoint = "fchmodat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int FchmodAt(SafeFileDescriptor dirfd, string path, uint mode, int flags);

    [LibraryImport(Library, EntryPoint = "chmod", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Chmod(string path, uint mode);

    [LibraryImport(Library, EntryPoint = "fchmod", SetLastError = true)]
    internal static partial int Fchmod(SafeFileDescriptor fd, uint mode);

    [LibraryImport(Library, EntryPoint = "utimensat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int UtimensAt(SafeFileDescriptor dirfd, string path, Timespec* times, int flags);

    [LibraryImport(Library, EntryPoint = "futimens", SetLastError = true)]
    internal static partial int Futimens(SafeFileDescriptor fd, Timespec* times);

    [LibraryImport(Library, EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Statx(SafeFileDescriptor dirfd, string path, int flags, uint mask, StatxBuffer* buffer);

    /// <summary>statx with a plain descriptor number, for AT_FDCWD.</summary>
    [LibraryImport(Library, EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Statx(int dirfd, string path, int flags, uint mask, StatxBuffer* buffer);

    [LibraryImport(Library, EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Link(string existingPath, string newPath);

    [LibraryImport(Library, EntryPoint = "fsync", SetLastError = true)]
    internal static partial int Fsync(SafeFileDescriptor fd);

    [LibraryImport(Library, EntryPoint = "readlinkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint ReadLinkAt(SafeFileDescriptor dirfd, string path, byte* buffer, nuint size);

    [LibraryImport(Library, EntryPoint = "write", SetLastError = true)]
    internal static partial nint Write(SafeFileDescriptor fd, byte* buffer, nuint count);

    [LibraryImport(Library, EntryPoint = "read", SetLastError = true)]
    internal static partial nint Read(SafeFileDescriptor fd, byte* buffer, nuint count);

    [LibraryImport(Library, EntryPoint = "fdopendir", SetLastError = true)]
    internal static partial IntPtr FdOpenDir(int fd);

    [LibraryImport(Library, EntryPoint = "readdir", SetLastError = true)]
    internal static partial DirectoryEntry* ReadDir(IntPtr dir);

    [LibraryImport(Library, EntryPoint = "closedir", SetLastError = true)]
    internal static partial int CloseDir(IntPtr dir);

    [StructLayout(LayoutKind.Sequential)]
    internal struct OpenHow
    {
        public ulong Flags;
        public ulong Mode;
        public ulong Resolve;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    /// <summary>struct statx: the same layout on every architecture, unlike struct stat.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    internal struct StatxBuffer
    {
        [FieldOffset(0)] public uint Mask;
        [FieldOffset(8)] public ulong Attributes;
        [FieldOffset(16)] public uint LinkCount;
        [FieldOffset(20)] public uint Uid;
        [FieldOffset(24)] public uint Gid;
        [FieldOffset(28)] public ushort Mode;
        [FieldOffset(32)] public ulong Inode;
        [FieldOffset(40)] public ulong Size;
        [FieldOffset(56)] public ulong AttributesMask;
        [FieldOffset(112)] public long MtimeSeconds;
        [FieldOffset(120)] public uint MtimeNanoseconds;
        [FieldOffset(128)] public uint RdevMajor;
        [FieldOffset(132)] public uint RdevMinor;
        [FieldOffset(136)] public uint DevMajor;
        [FieldOffset(140)] public uint DevMinor;
    }

    /// <summary>struct dirent on 64-bit glibc and musl.</summary>
    [StructLayout(LayoutKind.Explicit)]
    internal struct DirectoryEntry
    {
        [FieldOffset(0)] public ulong Inode;
        [FieldOffset(16)] public ushort RecordLength;
        [FieldOffset(18)] public byte Type;
        [FieldOffset(19)] public byte NameStart;
    }
}
