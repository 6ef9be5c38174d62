using GuestPull.Oci.Model;
using GuestPull.Oci.Registry;

namespace GuestPull.Oci.Tests.Registry;

public sealed class VerifyingBlobStreamTests
{
    private static readonly byte[] Content = Enumerable.Range(0, 100_000).Select(i => (byte)(i * 31)).ToArray();
    private static readonly Descriptor Blob = new("application/octet-stream", Digest.ComputeSha256(Content), Content.Length);

    private static async Task<byte[]> ReadAllAsync(Stream stream)
    {
        using var sink = new MemoryStream();
        var buffer = new byte[7000];
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            sink.Write(buffer, 0, read);
        }

        return sink.ToArray();
    }

    /// <summary>Serves <paramref name="data"/> from an offset, failing with an IOException after <paramref name="failAfter"/> bytes.</summary>
    private sealed class FlakyStream(byte[] data, long offset, long failAfter) : Stream
    {
        private long _position = offset;
        private long _served;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_served >= failAfter)
            {
                throw new IOException("connection reset by peer");
            }

            var n = (int)Math.Min(Math.Min(count, data.Length - _position), failAfter - _served);
            Array.Copy(data, _position, buffer, offset, n);
            _position += n;
            _served += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private static VerifyingBlobStream Create(Func<long, Stream> open, Descriptor? descriptor = null, int maxResumes = 5, List<long>? offsets = null, TimeSpan? idleTimeout = null) =>
        new(
            (offset, _) =>
            {
                offsets?.Add(offset);
                return Task.FromResult(open(offset));
            },
            null,
            descriptor ?? Blob,
            "blob under test",
            maxResumes,
            idleTimeout ?? TimeSpan.FromSeconds(30),
            "registry.test:5000");

    [Fact]
    public async Task PassesVerifiedContentThrough()
    {
        await using var stream = Create(offset => new MemoryStream(Content, (int)offset, Content.Length - (int)offset));
        Assert.Equal(Content, await ReadAllAsync(stream));
        Assert.Equal(0, stream.Resumes);
    }

    [Fact]
    public async Task ResumesFromWhereTheConnectionDroppedAndStillVerifies()
    {
        var offsets = new List<long>();
        await using var stream = Create(offset => new FlakyStream(Content, offset, 30_000), offsets: offsets);
        Assert.Equal(Content, await ReadAllAsync(stream));
        Assert.Equal([0L, 30_000L, 60_000L, 90_000L], offsets);
        Assert.Equal(3, stream.Resumes);
    }

    [Fact]
    public async Task ABodyThatEndsEarlyIsResumed()
    {
        var offsets = new List<long>();
        await using var stream = Create(
            offset => offset == 0 ? new MemoryStream(Content, 0, 50_000) : new MemoryStream(Content, (int)offset, Content.Length - (int)offset),
            offsets: offsets);
        Assert.Equal(Content, await ReadAllAsync(stream));
        Assert.Equal([0L, 50_000L], offsets);
    }

    [Fact]
    public async Task GivesUpAfterTheResumeBudgetNamingTheOffset()
    {
        await using var stream = Create(offset => new FlakyStream(Content, offset, 10_000), maxResumes: 2);
        var ex = await Assert.ThrowsAsync<RegistryException>(() => ReadAllAsync(stream));
        Assert.Contains("blob under test", ex.Message, StringComparison.Ordinal);
        Assert.Contains("at byte 30000 of 100000 after 2 resumes", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AStalledConnectionIsNamedAsSuch()
    {
        // The first 10 000 bytes arrive, then nothing: every resume stalls too.
        var offsets = new List<long>();
        await using var stream = Create(offset => new StallingStream(Content, offset, offset == 0 ? 10_000 : 0), maxResumes: 1, offsets: offsets, idleTimeout: TimeSpan.FromMilliseconds(200));

        var ex = await Assert.ThrowsAsync<RegistryException>(() => ReadAllAsync(stream));

        Assert.Contains("blob under test: download failed at byte 10000 of 100000 after 1 resume", ex.Message, StringComparison.Ordinal);
        Assert.Contains("the connection to registry.test:5000 stalled: no data for 0.2 s", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("canceled", ex.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal([0L, 10_000L], offsets);
    }

    /// <summary>Serves <paramref name="count"/> bytes of <paramref name="data"/> from an offset, then waits for ever.</summary>
    private sealed class StallingStream(byte[] data, long offset, int count) : Stream
    {
        private int _served;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_served == count)
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }

            var take = Math.Min(buffer.Length, count - _served);
            data.AsSpan((int)offset + _served, take).CopyTo(buffer.Span);
            _served += take;
            return take;
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    [Fact]
    public async Task TamperedContentFailsTheDigestAtTheEnd()
    {
        var tampered = (byte[])Content.Clone();
        tampered[12345] ^= 0xff;
        await using var stream = Create(offset => new MemoryStream(tampered, (int)offset, tampered.Length - (int)offset));
        var ex = await Assert.ThrowsAsync<ContentVerificationException>(() => ReadAllAsync(stream));
        Assert.Contains("digest mismatch: expected " + Blob.Digest, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MoreBytesThanDeclaredFailAtOnce()
    {
        var shorter = Blob with { Size = 50_000 };
        await using var stream = Create(_ => new MemoryStream(Content), shorter);
        var ex = await Assert.ThrowsAsync<ContentVerificationException>(() => ReadAllAsync(stream));
        Assert.Contains("more than the 50000 bytes", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FewerBytesThanDeclaredFailTheSize()
    {
        var longer = Blob with { Size = 200_000 };
        await using var stream = Create(offset => new MemoryStream(Content, (int)Math.Min(offset, Content.Length), Content.Length - (int)Math.Min(offset, Content.Length)), longer, maxResumes: 1);
        var ex = await Assert.ThrowsAsync<ContentVerificationException>(() => ReadAllAsync(stream));
        Assert.Contains("size mismatch: expected 200000 bytes, received 100000", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SynchronousReadsAreRefused()
    {
        await using var stream = Create(_ => new MemoryStream(Content));
        Assert.Throws<NotSupportedException>(() => stream.ReadByte());
    }
}
