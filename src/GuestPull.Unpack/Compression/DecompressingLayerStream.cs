using ZstdSharp;

namespace GuestPull.Unpack;

/// <summary>
/// A read-only pass-through that reports corrupt compressed data as <see cref="InvalidLayerException"/>
/// naming the format, instead of each decompressor's own exception type.
/// </summary>
internal sealed class DecompressingLayerStream : Stream
{
    private readonly Stream _inner;
    private readonly string _format;
    private readonly bool _ownsInner;

    public DecompressingLayerStream(Stream inner, string format, bool ownsInner)
    {
        _inner = inner;
        _format = format;
        _ownsInner = ownsInner;
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        try
        {
            return _inner.Read(buffer);
        }
        catch (Exception e) when (IsCorruption(e))
        {
            throw Corrupt(e);
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            return await _inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (IsCorruption(e))
        {
            throw Corrupt(e);
        }
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && _ownsInner)
        {
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        if (_ownsInner)
        {
            await _inner.DisposeAsync().ConfigureAwait(false);
        }

        await base.DisposeAsync().ConfigureAwait(false);
    }

    // A plain tar has no decompressor: its errors are the source's own I/O errors.
    private bool IsCorruption(Exception e) => _format != "tar" && e is InvalidDataException or ZstdException or EndOfStreamException;

    private InvalidLayerException Corrupt(Exception e) => new($"layer {_format} data is corrupt or truncated: {e.Message}", e);
}
