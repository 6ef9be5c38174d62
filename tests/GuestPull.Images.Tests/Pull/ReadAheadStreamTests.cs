using GuestPull.Images.Pull;

namespace GuestPull.Images.Tests.Pull;

public sealed class ReadAheadStreamTests
{
    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 7)]
    [InlineData(128 * 1024, 4096)]
    [InlineData(1_000_003, 65536)]
    [InlineData(1_000_003, 1_000_000)]
    public async Task GivesTheSourcesBytesInOrderWhateverTheReadSizes(int length, int readSize)
    {
        var data = new byte[length];
        new Random(length).NextBytes(data);
        await using var stream = new ReadAheadStream(new TrickleStream(new MemoryStream(data), 1000));

        var copy = new MemoryStream();
        var buffer = new byte[readSize];
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            copy.Write(buffer, 0, read);
        }

        Assert.Equal(data, copy.ToArray());
        Assert.Equal(0, await stream.ReadAsync(buffer));
    }

    [Fact]
    public void SynchronousReadsGiveTheSameBytes()
    {
        var data = new byte[300_000];
        new Random(3).NextBytes(data);
        using var stream = new ReadAheadStream(new MemoryStream(data));
        var copy = new MemoryStream();
        stream.CopyTo(copy, 10_000);
        Assert.Equal(data, copy.ToArray());
    }

    [Fact]
    public async Task TheSourcesFailureAtItsEndIsThrownByTheReadThatReachesIt_AfterEveryByteBeforeIt()
    {
        var data = new byte[500_000];
        new Random(5).NextBytes(data);
        await using var stream = new ReadAheadStream(new FailingAtEndStream(data));

        var copy = new MemoryStream();
        var buffer = new byte[8192];
        var e = await Assert.ThrowsAsync<InvalidDataException>(async () =>
        {
            int read;
            while ((read = await stream.ReadAsync(buffer)) > 0)
            {
                copy.Write(buffer, 0, read);
            }
        });

        Assert.Equal("the end is wrong", e.Message);
        Assert.Equal(data, copy.ToArray());
    }

    [Fact]
    public async Task DisposingWaitsForTheReadAheadAndDisposesTheSourceUnlessLeftOpen()
    {
        var source = new TrickleStream(new MemoryStream(new byte[1_000_000]), 100);
        var stream = new ReadAheadStream(source, leaveOpen: true);
        Assert.Equal(10, await stream.ReadAsync(new byte[10]));
        await stream.DisposeAsync();
        Assert.True(source.CanRead);

        var owned = new TrickleStream(new MemoryStream(new byte[1_000_000]), 100);
        var ownedStream = new ReadAheadStream(owned);
        Assert.Equal(10, await ownedStream.ReadAsync(new byte[10]));
        await ownedStream.DisposeAsync();
        Assert.False(owned.CanRead);
    }

    // A source that hands out at most a few bytes per read, as a network stream does.
    private sealed class TrickleStream(Stream inner, int most) : Stream
    {
        private bool _disposed;

        public override bool CanRead => !_disposed;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, Math.Min(count, most));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            return await inner.ReadAsync(buffer[..Math.Min(buffer.Length, most)], cancellationToken);
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            _disposed = true;
            base.Dispose(disposing);
        }
    }

    // Gives its bytes, then throws where a verifying stream would report a bad digest or HMAC.
    private sealed class FailingAtEndStream(byte[] data) : Stream
    {
        private readonly MemoryStream _inner = new(data);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var read = _inner.Read(buffer, offset, count);
            return read == 0 ? throw new InvalidDataException("the end is wrong") : read;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
