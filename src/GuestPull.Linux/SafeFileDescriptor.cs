using System.Runtime.InteropServices;
using GuestPull.Linux.Interop;

namespace GuestPull.Linux;

/// <summary>An owned Linux file descriptor, closed when disposed or finalized.</summary>
public sealed class SafeFileDescriptor : SafeHandle
{
    /// <summary>Creates an invalid descriptor (used by interop marshalling).</summary>
    public SafeFileDescriptor()
        : base(new IntPtr(-1), ownsHandle: true)
    {
    }

    /// <summary>Wraps an existing descriptor.</summary>
    /// <param name="fd">The descriptor number.</param>
    /// <param name="ownsHandle">Whether disposing this object closes <paramref name="fd"/>.</param>
    public SafeFileDescriptor(int fd, bool ownsHandle = true)
        : base(new IntPtr(-1), ownsHandle)
    {
        SetHandle(new IntPtr(fd));
    }

    /// <inheritdoc />
    public override bool IsInvalid => handle.ToInt64() < 0;

    /// <summary>The descriptor number; only meaningful while this object is alive.</summary>
    public int Number => (int)handle.ToInt64();

    /// <inheritdoc />
    protected override bool ReleaseHandle()
    {
        // close() must not be retried on EINTR on Linux: the descriptor is released either way.
        return LibC.Close((int)handle.ToInt64()) == 0 || Marshal.GetLastPInvokeError() == Errno.EINTR;
    }
}
