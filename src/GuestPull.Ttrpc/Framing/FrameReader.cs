using System.Buffers;

namespace GuestPull.Ttrpc.Framing;

/// <summary>
/// Reads ttrpc frames from a stream. Reads go through one per-connection buffer so that a small frame
/// costs one read system call; the only per-frame allocation is the pooled payload buffer.
/// The connection buffer is rented from the shared pool at the first read and given back by
/// <see cref="Dispose"/>, so a closed connection leaves nothing behind for the collector to find.
/// Not thread-safe: one reader loop per connection owns it, and disposes it once no read is pending.
/// </summary>
internal sealed class FrameReader : IDisposable
{
    private const int BufferSize = 64 * 1024;

    private readonly Stream _stream;
    private readonly int _maxMessageSize;
    private byte[] _buffer = [];
    private int _start;
    private int _end;
    private uint _pendingSkip;
    private bool _disposed;

    public FrameReader(Stream stream, int maxMessageSize)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxMessageSize);
        _stream = stream;
        _maxMessageSize = maxMessageSize;
    }

    /// <summary>
    /// Reads the next frame, or returns null when the peer closed the connection between frames.
    /// A frame longer than the cap is returned at once with <see cref="Frame.IsOversized"/> set, so the
    /// caller can answer it on its stream id; its payload is skipped (as upstream ttrpc does) by the next read.
    /// </summary>
    /// <exception cref="IOException">The connection ended in the middle of a frame.</exception>
    public async ValueTask<Frame?> ReadAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_buffer.Length == 0)
        {
            _buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        }

        if (_pendingSkip > 0)
        {
            var skip = _pendingSkip;
            _pendingSkip = 0;
            await SkipAsync(skip, cancellationToken).ConfigureAwait(false);
        }

        if (!await FillAsync(FrameHeader.Size, cancellationToken).ConfigureAwait(false))
        {
            if (_end == _start)
            {
                return null;
            }

            throw new IOException(
                $"ttrpc: connection closed after {_end - _start} of the {FrameHeader.Size} bytes of a frame header.");
        }

        var header = FrameHeader.Read(_buffer.AsSpan(_start, FrameHeader.Size));
        _start += FrameHeader.Size;

        if (header.Length > (uint)_maxMessageSize)
        {
            _pendingSkip = header.Length;
            return Frame.Oversized(header);
        }

        var length = (int)header.Length;
        if (length == 0)
        {
            return Frame.WithPayload(header, null);
        }

        var payload = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            await ReadExactlyAsync(payload.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(payload);
            throw;
        }

        return Frame.WithPayload(header, payload);
    }

    /// <summary>Whether the connection buffer is rented (for tests of what a closed connection keeps).</summary>
    internal bool HoldsBuffer => _buffer.Length > 0;

    /// <summary>Returns the connection buffer to the pool. Call only when no read is in progress.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
    }

    // Makes at least `count` bytes available in the buffer; false when the stream ended first.
    private async ValueTask<bool> FillAsync(int count, CancellationToken cancellationToken)
    {
        if (_end - _start >= count)
        {
            return true;
        }

        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        while (_end < count)
        {
            var read = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return false;
            }

            _end += read;
        }

        return true;
    }

    private async ValueTask ReadExactlyAsync(Memory<byte> destination, CancellationToken cancellationToken)
    {
        var total = destination.Length;
        var buffered = Math.Min(_end - _start, destination.Length);
        _buffer.AsSpan(_start, buffered).CopyTo(destination.Span);
        _start += buffered;
        destination = destination[buffered..];

        // Large payloads bypass the buffer; small ones refill it so the next header usually comes along.
        while (destination.Length > 0)
        {
            int read;
            if (destination.Length >= BufferSize)
            {
                read = await _stream.ReadAsync(destination, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    throw TruncatedPayload(total, total - destination.Length);
                }

                destination = destination[read..];
                continue;
            }

            _start = 0;
            _end = 0;
            read = await _stream.ReadAsync(_buffer, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw TruncatedPayload(total, total - destination.Length);
            }

            _end = read;
            var take = Math.Min(read, destination.Length);
            _buffer.AsSpan(0, take).CopyTo(destination.Span);
            _start = take;
            destination = destination[take..];
        }
    }

    private async ValueTask SkipAsync(uint length, CancellationToken cancellationToken)
    {
        var remaining = (long)length;
        var buffered = (int)Math.Min(_end - _start, remaining);
        _start += buffered;
        remaining -= buffered;

        while (remaining > 0)
        {
            var read = await _stream.ReadAsync(_buffer, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw new IOException(
                    $"ttrpc: connection closed while skipping an oversized frame of {length} bytes ({length - remaining} skipped).");
            }

            var used = (int)Math.Min(read, remaining);
            remaining -= used;
            _start = used;
            _end = read;
        }
    }

    private static IOException TruncatedPayload(int expected, int received) =>
        new($"ttrpc: connection closed after {received} of the {expected} bytes of a frame payload.");
}
