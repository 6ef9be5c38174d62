using System.Buffers;
using System.Runtime.ExceptionServices;

namespace GuestPull.Images.Pull;

/// <summary>
/// Reads its source one chunk ahead on the thread pool, so that the stage behind the source (the
/// layer's decryption, with the download and digest behind it) works on the next chunk while the
/// consumer (decompression and untar) works on this one: two cores instead of one for a single large
/// layer. Bytes come out in order and unchanged; an exception of the source (a digest or HMAC failure
/// at its end, a dropped connection) is thrown by the read that reaches it, as without read-ahead.
/// </summary>
internal sealed class ReadAheadStream : Stream
{
    private const int ChunkSize = 128 * 1024;

    private readonly Stream _source;
    private readonly bool _leaveOpen;
    private byte[] _current = ArrayPool<byte>.Shared.Rent(ChunkSize);
    private byte[] _next = ArrayPool<byte>.Shared.Rent(ChunkSize);
    private int _offset;
    private int _count;
    private Task<int>? _pending;
    private bool _ended;
    private ExceptionDispatchInfo? _failure;
    private bool _disposed;

    public ReadAheadStream(Stream source, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(source);
        _source = source;
        _leaveOpen = leaveOpen;
    }

    public override bool CanRead => !_disposed;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (buffer.IsEmpty)
        {
            return 0;
        }

        if (_offset == _count && !Advance(Next(CancellationToken.None).GetAwaiter().GetResult(), CancellationToken.None))
        {
            return 0;
        }

        return Take(buffer);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (buffer.IsEmpty)
        {
            return 0;
        }

        if (_offset == _count && !Advance(await Next(cancellationToken).ConfigureAwait(false), cancellationToken))
        {
            return 0;
        }

        return Take(buffer.Span);
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override async ValueTask DisposeAsync()
    {
        if (!_disposed)
        {
            await WaitForPendingAsync().ConfigureAwait(false);
            Release();
            if (!_leaveOpen)
            {
                await _source.DisposeAsync().ConfigureAwait(false);
            }
        }

        await base.DisposeAsync().ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            WaitForPendingAsync().GetAwaiter().GetResult();
            Release();
            if (!_leaveOpen)
            {
                _source.Dispose();
            }
        }

        base.Dispose(disposing);
    }

    // The chunk read ahead, or the first one when nothing was read yet.
    private Task<int> Next(CancellationToken cancellationToken)
    {
        if (_ended)
        {
            return Task.FromResult(0);
        }

        var next = _pending ?? FillAsync(_next, cancellationToken);
        _pending = null;
        return next;
    }

    // Makes the chunk just read current and starts reading the one after it.
    private bool Advance(int read, CancellationToken cancellationToken)
    {
        if (read == 0)
        {
            _ended = true;
            return false;
        }

        (_current, _next) = (_next, _current);
        _offset = 0;
        _count = read;
        _pending = FillAsync(_next, cancellationToken);
        return true;
    }

    private int Take(Span<byte> buffer)
    {
        var take = Math.Min(buffer.Length, _count - _offset);
        _current.AsSpan(_offset, take).CopyTo(buffer);
        _offset += take;
        return take;
    }

    // Fills the chunk as far as the source allows: fewer bytes only at its end. A failure after some
    // bytes is kept for the next fill, so those bytes still come out first.
    private Task<int> FillAsync(byte[] chunk, CancellationToken cancellationToken) => Task.Run(
        async () =>
        {
            _failure?.Throw();
            var filled = 0;
            try
            {
                while (filled < ChunkSize)
                {
                    var read = await _source.ReadAsync(chunk.AsMemory(filled, ChunkSize - filled), cancellationToken).ConfigureAwait(false);
                    if (read == 0)
                    {
                        break;
                    }

                    filled += read;
                }
            }
            catch (Exception e) when (filled > 0)
            {
                _failure = ExceptionDispatchInfo.Capture(e);
            }

            return filled;
        },
        cancellationToken);

    // The source must not be disposed, nor the chunk returned, under a read still running.
    private async Task WaitForPendingAsync()
    {
        _disposed = true;
        if (_pending is { } pending)
        {
            _pending = null;
            try
            {
                await pending.ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Whoever reads this stream has seen it fail, or stopped reading before the failure.
            }
        }
    }

    private void Release()
    {
        ArrayPool<byte>.Shared.Return(_current);
        ArrayPool<byte>.Shared.Return(_next);
    }
}
