using System.Buffers;
using System.Security.Cryptography;

namespace GuestPull.Unpack.Tar;

/// <summary>
/// The reader's single window onto the uncompressed stream: one pooled 128 KiB buffer, a running
/// sha256 of every byte read (the DiffID), and the size cap checked as bytes arrive, so a
/// decompression bomb stops within one buffer of the cap.
/// </summary>
internal sealed class LayerStreamBuffer : IDisposable
{
    public const int BufferSize = 128 * 1024;

    private readonly Stream _source;
    private readonly long _maxSize;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private byte[]? _buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
    private int _start;
    private int _end;
    private long _totalRead;
    private bool _endOfStream;

    public LayerStreamBuffer(Stream source, long maxSize)
    {
        _source = source;
        _maxSize = maxSize;
    }

    /// <summary>Bytes read from the source so far.</summary>
    public long TotalRead => _totalRead;

    /// <summary>Offset of the next unconsumed byte in the stream.</summary>
    public long Position => _totalRead - (_end - _start);

    public int Available => _end - _start;

    public ReadOnlySpan<byte> AvailableSpan => Buffer.AsSpan(_start, _end - _start);

    public ReadOnlyMemory<byte> AvailableMemory => Buffer.AsMemory(_start, _end - _start);

    private byte[] Buffer => _buffer ?? throw new ObjectDisposedException(nameof(LayerStreamBuffer));

    /// <summary>Reads until at least <paramref name="count"/> bytes are available or the stream ends; returns what is available.</summary>
    public async ValueTask<int> EnsureAsync(int count, CancellationToken cancellationToken)
    {
        var buffer = Buffer;
        while (_end - _start < count && !_endOfStream)
        {
            if (buffer.Length - _start < count)
            {
                // Not enough room after the unconsumed bytes: move them to the front.
                System.Buffer.BlockCopy(buffer, _start, buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }

            var read = await _source.ReadAsync(buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                _endOfStream = true;
                break;
            }

            _hash.AppendData(buffer, _end, read);
            _end += read;
            _totalRead += read;
            if (_totalRead > _maxSize)
            {
                throw new LayerTooLargeException(_maxSize);
            }
        }

        return _end - _start;
    }

    public void Consume(int count)
    {
        _start += count;
        if (_start == _end)
        {
            _start = 0;
            _end = 0;
        }
    }

    /// <summary>Reads the rest of the stream (hashing it); returns how many bytes that was, buffered ones included.</summary>
    public async ValueTask<long> DrainAsync(CancellationToken cancellationToken)
    {
        long drained = Available;
        Consume(Available);
        while (true)
        {
            var available = await EnsureAsync(1, cancellationToken).ConfigureAwait(false);
            if (available == 0)
            {
                return drained;
            }

            drained += available;
            Consume(available);
        }
    }

    /// <summary>The sha256 of everything read so far, as <c>sha256:hex</c>.</summary>
    public string CurrentDigest()
    {
        Span<byte> digest = stackalloc byte[32];
        _hash.GetCurrentHash(digest);
        return "sha256:" + Convert.ToHexStringLower(digest);
    }

    public void Dispose()
    {
        _hash.Dispose();
        if (_buffer is { } buffer)
        {
            _buffer = null;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
