using System.Runtime.InteropServices;
using GuestPull.Linux.Interop;

namespace GuestPull.Linux;

/// <content>statvfs: the space left on a file system.</content>
public static unsafe partial class FileSystemCalls
{
    /// <summary>
    /// The bytes an unprivileged write could still use on the file system holding
    /// <paramref name="path"/> (statvfs's f_bavail × f_frsize).
    /// </summary>
    /// <param name="path">Any path on the file system.</param>
    /// <exception cref="NativeCallException">statvfs failed.</exception>
    public static long AvailableBytes(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        LibC.StatvfsBuffer buffer;
        if (LibC.Statvfs(path, &buffer) != 0)
        {
            throw new NativeCallException(Marshal.GetLastPInvokeError(), "statvfs", path);
        }

        var bytes = (UInt128)buffer.AvailableBlocks * buffer.FragmentSize;
        return bytes > long.MaxValue ? long.MaxValue : (long)bytes;
    }
}
