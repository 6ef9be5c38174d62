using System.Buffers;

namespace GuestPull.Ttrpc.Framing;

/// <summary>
/// One received frame. The payload lives in a buffer rented from <see cref="ArrayPool{T}.Shared"/>;
/// the receiver must call <see cref="Dispose"/> once it has parsed the payload.
/// </summary>
internal struct Frame : IDisposable
{
    private byte[]? _buffer;

    private Frame(FrameHeader header, byte[]? buffer, bool oversized)
    {
        Header = header;
        _buffer = buffer;
        IsOversized = oversized;
    }

    public FrameHeader Header { get; }

    /// <summary>True when the declared length exceeded the cap: the payload was skipped and is empty.</summary>
    public bool IsOversized { get; }

    public readonly ReadOnlySpan<byte> Payload =>
        _buffer is null ? ReadOnlySpan<byte>.Empty : _buffer.AsSpan(0, (int)Header.Length);

    public static Frame WithPayload(FrameHeader header, byte[]? buffer) => new(header, buffer, oversized: false);

    public static Frame Oversized(FrameHeader header) => new(header, null, oversized: true);

    public void Dispose()
    {
        var buffer = _buffer;
        _buffer = null;
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
