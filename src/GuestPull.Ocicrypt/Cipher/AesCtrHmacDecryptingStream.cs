using System.Buffers.Binary;
using System.Numerics;
using System.Security.Cryptography;
using GuestPull.Oci.Model;

namespace GuestPull.Ocicrypt.Cipher;

/// <summary>
/// Decrypts ocicrypt's <c>AES_256_CTR_HMAC_SHA256</c> layer cipher as it reads: the HMAC-SHA256 (keyed with
/// the layer key) runs over the ciphertext and the AES-256-CTR keystream (a 128-bit big-endian counter
/// starting at the nonce) is XORed in. At the end of the ciphertext the HMAC is compared; a mismatch throws
/// <see cref="LayerDecryptionException"/> instead of reporting the end of the stream, so a consumer that
/// reads to the end never commits what it unpacked. The private options' plaintext digest is not checked:
/// ocicrypt records there whatever digest its caller claimed for the blob, and containers/image passes the
/// source blob's even when it recompressed the layer (skopeo <c>--dest-compress-format zstd</c>), so it is a
/// hint, not a property of the plaintext. The plaintext is bound by the HMAC under the unwrapped key, the
/// encrypted blob's digest and the layer's DiffID in the config.
/// </summary>
public sealed class AesCtrHmacDecryptingStream : Stream
{
    private const int KeystreamBlocks = 4096;

    private readonly Stream _inner;
    private readonly bool _leaveOpen;
    private readonly Aes _aes;
    private readonly IncrementalHash _hmac;
    private readonly byte[] _expectedHmac;
    private readonly byte[] _counters = new byte[KeystreamBlocks * 16];
    private readonly byte[] _keystream = new byte[KeystreamBlocks * 16];
    private UInt128 _counter;
    private int _keystreamOffset = KeystreamBlocks * 16;
    private bool _verified;
    private bool _disposed;

    /// <summary>Creates the stream over <paramref name="ciphertext"/>.</summary>
    /// <param name="ciphertext">The encrypted blob, read once from its start.</param>
    /// <param name="options">The layer's cipher options.</param>
    /// <param name="leaveOpen">Keep <paramref name="ciphertext"/> open when this stream is disposed.</param>
    public AesCtrHmacDecryptingStream(Stream ciphertext, LayerCipherOptions options, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(ciphertext);
        ArgumentNullException.ThrowIfNull(options);
        _inner = ciphertext;
        _leaveOpen = leaveOpen;
        _aes = Aes.Create();
        _aes.Key = options.SymmetricKey;
        _hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, options.SymmetricKey);
        _expectedHmac = options.ExpectedHmac;
        _counter = BinaryPrimitives.ReadUInt128BigEndian(options.Nonce);
    }

    /// <inheritdoc />
    public override bool CanRead => !_disposed;

    /// <inheritdoc />
    public override bool CanSeek => false;

    /// <inheritdoc />
    public override bool CanWrite => false;

    /// <inheritdoc />
    public override long Length => throw new NotSupportedException();

    /// <inheritdoc />
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    /// <inheritdoc />
    public override int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var read = _inner.Read(buffer);
        return Process(buffer[..read]);
    }

    /// <inheritdoc />
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc />
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var read = await _inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        return Process(buffer.Span[..read]);
    }

    /// <inheritdoc />
    public override void Flush()
    {
    }

    /// <inheritdoc />
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc />
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <inheritdoc />
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            _aes.Dispose();
            _hmac.Dispose();
            CryptographicOperations.ZeroMemory(_keystream);
            if (!_leaveOpen)
            {
                _inner.Dispose();
            }
        }

        base.Dispose(disposing);
    }

    private int Process(Span<byte> data)
    {
        if (data.IsEmpty)
        {
            if (!_verified)
            {
                Verify();
            }

            return 0;
        }

        _hmac.AppendData(data);
        Xor(data);
        return data.Length;
    }

    private void Verify()
    {
        // Encrypt-then-MAC: the HMAC over the ciphertext is the integrity check of the decryption.
        Span<byte> actual = stackalloc byte[32];
        _hmac.GetHashAndReset(actual);
        if (!CryptographicOperations.FixedTimeEquals(actual, _expectedHmac))
        {
            throw new LayerDecryptionException($"the layer's HMAC does not match: the ciphertext was altered or encrypted with another key (expected {Convert.ToHexStringLower(_expectedHmac)}, computed {Convert.ToHexStringLower(actual)})");
        }

        _verified = true;
    }

    private void Xor(Span<byte> data)
    {
        while (!data.IsEmpty)
        {
            if (_keystreamOffset == _keystream.Length)
            {
                RefillKeystream();
            }

            var take = Math.Min(data.Length, _keystream.Length - _keystreamOffset);
            XorInto(data[..take], _keystream.AsSpan(_keystreamOffset, take));
            _keystreamOffset += take;
            data = data[take..];
        }
    }

    private void RefillKeystream()
    {
        var counters = _counters.AsSpan();
        for (var i = 0; i < KeystreamBlocks; i++)
        {
            // Wraps around at 2^128 like ocicrypt's Go CTR; unchecked by default in C#.
            BinaryPrimitives.WriteUInt128BigEndian(counters.Slice(i * 16, 16), _counter);
            _counter++;
        }

        _aes.EncryptEcb(counters, _keystream, PaddingMode.None);
        _keystreamOffset = 0;
    }

    private static void XorInto(Span<byte> data, ReadOnlySpan<byte> keystream)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= data.Length - Vector<byte>.Count; i += Vector<byte>.Count)
            {
                var v = new Vector<byte>(data[i..]) ^ new Vector<byte>(keystream[i..]);
                v.CopyTo(data[i..]);
            }
        }

        for (; i < data.Length; i++)
        {
            data[i] ^= keystream[i];
        }
    }
}
