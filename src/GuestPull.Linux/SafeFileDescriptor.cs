using System.Runtime.InteropServices;
using GuestPull.Linux.Interop;
using Microsoft.Win32.SafeHandles;

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

    /// <summary>
    /// Hands the descriptor over to a <see cref="SafeFileHandle"/> (what <see cref="FileStream"/>
    /// takes); this object is invalid afterwards and no longer closes it.
    /// </summary>
    public SafeFileHandle TransferToFileHandle()
    {
        ObjectDisposedException.ThrowIf(IsClosed, this);
        var fd = handle;
        SetHandleAsInvalid();
        return new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <inheritdoc />
    protected override bool ReleaseHandle()
    {
        // close() must not be retried on EINTR on Linux: the descriptor is released either way.
        return LibC.Close((int)handle.ToInt64()) == 0 || Marshal.GetLastPInvokeError() == Errno.EINTR;
    }
}
