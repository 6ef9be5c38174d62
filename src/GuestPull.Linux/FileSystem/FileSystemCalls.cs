using System.Runtime.InteropServices;
using System.Text;
using GuestPull.Linux.Interop;

namespace GuestPull.Linux;

/// <summary>
/// File system system calls, all relative to directory descriptors. Methods named <c>Try…</c>
/// return 0 or an errno for conditions callers expect (ENOENT, EEXIST); the others throw
/// <see cref="NativeCallException"/>.
/// </summary>
public static unsafe partial class FileSystemCalls
{
    internal const int AtSymlinkNofollow = 0x100;
    internal const int AtRemoveDir = 0x200;
    internal const int AtEmptyPath = 0x1000;
    private const int Openat2Retries = 32;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private static volatile bool _openat2Missing;

    /// <summary>Whether the running kernel lacks openat2(2) (so <see cref="OpenInRoot"/> walks paths in user space).</summary>
    public static bool IsOpenat2Missing => _openat2Missing;

    /// <summary>open(2) of an absolute (or working-directory relative) path, following symlinks. Returns 0 or the errno.</summary>
    /// <param name="path">The path.</param>
    /// <param name="flags">Open flags.</param>
    /// <param name="mode">Permissions for a created file (the umask applies).</param>
    /// <param name="descriptor">The opened descriptor, when the call succeeded.</param>
    public static int TryOpen(string path, OpenFlags flags, uint mode, out SafeFileDescriptor? descriptor)
    {
        var native = NativeOpenFlags.Translate(flags);
        return OpenRetryingOnInterrupt(() => LibC.Open(path, native, mode), out descriptor);
    }

    /// <summary>Opens an absolute (or working-directory relative) path, following symlinks.</summary>
    /// <param name="path">The path.</param>
    /// <param name="flags">Open flags.</param>
    /// <param name="mode">Permissions for a created file.</param>
    public static SafeFileDescriptor Open(string path, OpenFlags flags, uint mode = 0)
    {
        var errno = TryOpen(path, flags, mode, out var descriptor);
        return errno == 0 ? descriptor! : throw new NativeCallException(errno, "open", path);
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
        return OpenRetryingOnInterrupt(() => LibC.OpenAt(directory, path, native, mode), out descriptor);
    }

    // An open interrupted by a signal is retried: the caller asked for the file, not for the signal's side effect.
    private static int OpenRetryingOnInterrupt(Func<int> open, out SafeFileDescriptor? descriptor)
    {
        while (true)
        {
            var fd = open();
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

    private static void ThrowIfFailed(int errno, string syscall, string path, string? secondPath = null)
    {
        if (errno != 0)
        {
            throw new NativeCallException(errno, syscall, path, secondPath);
        }
    }
}
