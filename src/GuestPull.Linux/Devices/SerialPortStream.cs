using System.Runtime.InteropServices;
using GuestPull.Linux.Interop;

namespace GuestPull.Linux.Devices;

/// <summary>
/// A virtio-serial port (<c>/dev/vportNpM</c>, or its <c>/dev/virtio-ports/NAME</c> link) as a stream: one
/// persistent, bidirectional byte stream to the host, with no accept. The host end comes and goes (a
/// client connecting to and leaving the unix socket QEMU exposes); while it is away the port reports a
/// hang-up, reads return end of stream and writes fail.
/// </summary>
/// <remarks>
/// The descriptor is non-blocking and waits go through <c>poll</c> in short slices, so a pending read or
/// write notices <see cref="Stream.Dispose()"/> and cancellation (closing a descriptor does not wake a
/// thread blocked on it). Asynchronous reads wait on one thread of the port's own, never on a thread-pool
/// thread: a guest with one vCPU has a one-thread pool, and a blocked pool thread there stalls every
/// other task for the half second the pool takes to add a thread.
/// </remarks>
public sealed class SerialPortStream : Stream
{
    // O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC: a port is a character device, never our terminal.
    private const int OpenFlagsValue = 0x2 | 0x100 | 0x800 | 0x80000;
    private const int PollSliceMilliseconds = 100;
    private static readonly TimeSpan PeerPollInterval = TimeSpan.FromMilliseconds(50);

    private static readonly TimeSpan WriteRetryInterval = TimeSpan.FromMilliseconds(1);

    private readonly SafeFileDescriptor _fd;
    private readonly ReadinessPoller _poller;
    private volatile bool _disposed;

    private SerialPortStream(SafeFileDescriptor fd, string path)
    {
        _fd = fd;
        Path = path;
        _poller = new ReadinessPoller(this);
    }

    /// <summary>The device path the port was opened with.</summary>
    public string Path { get; }

    /// <summary>Whether a host is connected to the port right now (no hang-up reported).</summary>
    public bool IsPeerConnected => (PollOnce(0, 0) & LibC.PollHup) == 0;

    /// <inheritdoc />
    public override bool CanRead => !_disposed;

    /// <inheritdoc />
    public override bool CanWrite => !_disposed;

    /// <inheritdoc />
    public override bool CanSeek => false;

    /// <inheritdoc />
    public override long Length => throw new NotSupportedException();

    /// <inheritdoc />
    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>Opens a serial port for reading and writing.</summary>
    /// <param name="path">The port's device path.</param>
    /// <exception cref="NativeCallException">open failed (<c>EBUSY</c>: the port is open elsewhere).</exception>
    public static SerialPortStream Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var fd = LibC.Open(path, OpenFlagsValue, 0);
        if (fd < 0)
        {
            throw new NativeCallException(Marshal.GetLastPInvokeError(), "open", path);
        }

        return new SerialPortStream(new SafeFileDescriptor(fd), path);
    }

    /// <summary>Waits until a host is connected to the port.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    public async Task WaitForPeerAsync(CancellationToken cancellationToken)
    {
        // A port without its host polls as hung up at once, so there is nothing to block on: sample it.
        while (!IsPeerConnected)
        {
            await Task.Delay(PeerPollInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var read = TryRead(buffer.Span);
            if (read >= 0)
            {
                return read;
            }

            var events = await _poller.WaitReadableAsync(cancellationToken).ConfigureAwait(false);
            if ((events & (LibC.PollIn | LibC.PollHup)) == LibC.PollHup)
            {
                return 0;
            }
        }
    }

    /// <inheritdoc />
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    /// <inheritdoc />
    public override int Read(Span<byte> buffer)
    {
        while (true)
        {
            var read = TryRead(buffer);
            if (read >= 0)
            {
                return read;
            }

            if ((WaitFor(LibC.PollIn, CancellationToken.None) & (LibC.PollIn | LibC.PollHup)) == LibC.PollHup)
            {
                return 0;
            }
        }
    }

    /// <inheritdoc />
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (!buffer.IsEmpty)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var written = TryWrite(buffer.Span);
            if (written >= 0)
            {
                buffer = buffer[written..];
                continue;
            }

            // The host has not drained the port's queue yet. Rare (responses are small), so a short
            // sleep-and-check loop, which holds no thread, is enough.
            ThrowIfHungUp(PollOnce(LibC.PollOut, 0));
            await Task.Delay(WriteRetryInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc />
    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    /// <inheritdoc />
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            var written = TryWrite(buffer);
            if (written >= 0)
            {
                buffer = buffer[written..];
                continue;
            }

            ThrowIfHungUp(WaitFor(LibC.PollOut, CancellationToken.None));
        }
    }

    /// <inheritdoc />
    public override void Flush()
    {
        // Writes go straight to the device.
    }

    /// <inheritdoc />
    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc />
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            _poller.Dispose();
            _fd.Dispose();
        }

        base.Dispose(disposing);
    }

    private void ThrowIfHungUp(short events)
    {
        if ((events & LibC.PollOut) == 0 && (events & (LibC.PollHup | LibC.PollErr)) != 0)
        {
            throw new IOException($"the host end of {Path} is not connected");
        }
    }

    /// <summary>Reads what is there: the byte count, 0 at end of stream, or -1 when nothing is available yet.</summary>
    private unsafe int TryRead(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        while (true)
        {
            nint read;
            fixed (byte* pointer = buffer)
            {
                read = LibC.Read(_fd, pointer, (nuint)buffer.Length);
            }

            if (read >= 0)
            {
                return (int)read;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno == Errno.EAGAIN)
            {
                return -1;
            }

            if (errno != Errno.EINTR)
            {
                throw new NativeCallException(errno, "read", Path);
            }
        }
    }

    /// <summary>Writes what the port takes now: the byte count, or -1 when it would block.</summary>
    private unsafe int TryWrite(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        while (true)
        {
            nint written;
            fixed (byte* pointer = buffer)
            {
                written = LibC.Write(_fd, pointer, (nuint)buffer.Length);
            }

            if (written >= 0)
            {
                return (int)written;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno == Errno.EAGAIN)
            {
                return -1;
            }

            if (errno != Errno.EINTR)
            {
                throw new NativeCallException(errno, "write", Path);
            }
        }
    }

    /// <summary>Polls in slices until an event (or a hang-up) is reported; returns the events.</summary>
    private short WaitFor(short events, CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            ObjectDisposedException.ThrowIf(_disposed, this);
            var revents = PollOnce(events, PollSliceMilliseconds);
            if (revents != 0)
            {
                return revents;
            }
        }
    }

    internal unsafe short PollOnce(short events, int timeoutMilliseconds)
    {
        var added = false;
        _fd.DangerousAddRef(ref added);
        try
        {
            var pollFd = new LibC.PollFd { Fd = _fd.Number, Events = events };
            var result = LibC.Poll(&pollFd, 1, timeoutMilliseconds);
            if (result < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                return errno == Errno.EINTR ? (short)0 : throw new NativeCallException(errno, "poll", Path);
            }

            return (pollFd.Revents & LibC.PollNval) != 0 ? throw new ObjectDisposedException(nameof(SerialPortStream)) : pollFd.Revents;
        }
        finally
        {
            if (added)
            {
                _fd.DangerousRelease();
            }
        }
    }
}
