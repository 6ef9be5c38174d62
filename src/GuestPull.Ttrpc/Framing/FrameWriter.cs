using System.Buffers;
using Google.Protobuf;

namespace GuestPull.Ttrpc.Framing;

/// <summary>
/// Writes whole ttrpc frames to a stream, one at a time. Header and body go out in a single write from
/// one pooled buffer, followed by one flush, so frames from concurrent calls never interleave.
/// </summary>
internal sealed class FrameWriter
{
    private readonly Stream _stream;
    private readonly int _maxMessageSize;
    // Never disposed: it has no wait handle, and disposing it could fault a writer still queued on it.
    private readonly SemaphoreSlim _writeLock = new(1, 1);

    public FrameWriter(Stream stream, int maxMessageSize)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxMessageSize);
        _stream = stream;
        _maxMessageSize = maxMessageSize;
    }

    /// <summary>
    /// Serializes <paramref name="message"/> as the body of one frame and writes it.
    /// <paramref name="cancellationToken"/> only covers waiting for the write lock: a frame that has
    /// started to go out is finished, because a half-written frame would corrupt the connection.
    /// </summary>
    /// <exception cref="TtrpcException">The message is larger than the cap (ResourceExhausted).</exception>
    public async ValueTask WriteAsync(uint streamId, FrameType type, IMessage message, CancellationToken cancellationToken)
    {
        var size = message.CalculateSize();
        if (size > _maxMessageSize)
        {
            throw new TtrpcException(
                TtrpcStatusCode.ResourceExhausted,
                $"message of {size} bytes exceeds the maximum message size of {_maxMessageSize} bytes");
        }

        var frameLength = FrameHeader.Size + size;
        var buffer = ArrayPool<byte>.Shared.Rent(frameLength);
        try
        {
            new FrameHeader((uint)size, streamId, type, 0).Write(buffer);
            message.WriteTo(buffer.AsSpan(FrameHeader.Size, size));

            await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await _stream.WriteAsync(buffer.AsMemory(0, frameLength), CancellationToken.None).ConfigureAwait(false);
                await _stream.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            }
            finally
            {
                _writeLock.Release();
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
