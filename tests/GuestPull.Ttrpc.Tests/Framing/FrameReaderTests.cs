using GuestPull.Ttrpc.Framing;
using GuestPull.Ttrpc.Tests.Support;

namespace GuestPull.Ttrpc.Tests.Framing;

public sealed class FrameReaderTests
{
    [Fact]
    public async Task ReadAsync_ReturnsFramesInOrderThenNullAtEndOfStream()
    {
        var bytes = Concat(Frame(1, FrameType.Request, [1, 2, 3]), Frame(3, FrameType.Response, []), Frame(5, FrameType.Data, [9]));
        var reader = new FrameReader(new MemoryStream(bytes), 1024);

        using (var first = (await reader.ReadAsync(CancellationToken.None)).GetValueOrDefault())
        {
            Assert.Equal(new FrameHeader(3, 1, FrameType.Request, 0), first.Header);
            Assert.Equal(new byte[] { 1, 2, 3 }, first.Payload.ToArray());
        }

        using (var second = (await reader.ReadAsync(CancellationToken.None)).GetValueOrDefault())
        {
            Assert.Equal(3u, second.Header.StreamId);
            Assert.True(second.Payload.IsEmpty);
        }

        using (var third = (await reader.ReadAsync(CancellationToken.None)).GetValueOrDefault())
        {
            Assert.Equal(FrameType.Data, third.Header.Type);
        }

        Assert.Null(await reader.ReadAsync(CancellationToken.None));
    }

    [Fact]
    public async Task ReadAsync_ReassemblesFramesDeliveredOneByteAtATime()
    {
        var large = Enumerable.Range(0, 200_000).Select(i => (byte)i).ToArray();
        var bytes = Concat(Frame(1, FrameType.Request, large), Frame(3, FrameType.Request, [42]));
        var reader = new FrameReader(new TrickleStream(bytes, chunk: 7), 1 << 20);

        using (var first = (await reader.ReadAsync(CancellationToken.None)).GetValueOrDefault())
        {
            Assert.Equal(large, first.Payload.ToArray());
        }

        using (var second = (await reader.ReadAsync(CancellationToken.None)).GetValueOrDefault())
        {
            Assert.Equal(new byte[] { 42 }, second.Payload.ToArray());
        }
    }

    [Fact]
    public async Task ReadAsync_ReadsLargePayloadsThatBypassTheBuffer()
    {
        var large = Enumerable.Range(0, 3 << 20).Select(i => (byte)(i * 31)).ToArray();
        var bytes = Concat(Frame(1, FrameType.Request, large), Frame(3, FrameType.Request, [7]));
        var reader = new FrameReader(new MemoryStream(bytes), 4 << 20);

        using (var first = (await reader.ReadAsync(CancellationToken.None)).GetValueOrDefault())
        {
            Assert.True(large.AsSpan().SequenceEqual(first.Payload));
        }

        using var second = (await reader.ReadAsync(CancellationToken.None)).GetValueOrDefault();
        Assert.Equal(3u, second.Header.StreamId);
    }

    [Fact]
    public async Task ReadAsync_OversizedFrame_IsFlaggedAndSkippedSoTheNextFrameStillArrives()
    {
        var bytes = Concat(Frame(1, FrameType.Request, new byte[5000]), Frame(3, FrameType.Request, [1]));
        var reader = new FrameReader(new TrickleStream(bytes, chunk: 999), 4096);

        using (var oversized = (await reader.ReadAsync(CancellationToken.None)).GetValueOrDefault())
        {
            Assert.True(oversized.IsOversized);
            Assert.Equal(5000u, oversized.Header.Length);
            Assert.True(oversized.Payload.IsEmpty);
        }

        using var next = (await reader.ReadAsync(CancellationToken.None)).GetValueOrDefault();
        Assert.False(next.IsOversized);
        Assert.Equal(3u, next.Header.StreamId);
    }

    [Fact]
    public async Task ReadAsync_TruncatedHeader_SaysHowManyBytesCame()
    {
        var reader = new FrameReader(new MemoryStream([0, 0, 0, 1]), 1024);

        var error = await Assert.ThrowsAsync<IOException>(() => reader.ReadAsync(CancellationToken.None).AsTask());

        Assert.Contains("after 4 of the 10 bytes of a frame header", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_TruncatedPayload_SaysHowManyBytesCame()
    {
        var frame = Frame(1, FrameType.Request, new byte[100]);
        var reader = new FrameReader(new MemoryStream(frame[..60]), 1024);

        var error = await Assert.ThrowsAsync<IOException>(() => reader.ReadAsync(CancellationToken.None).AsTask());

        Assert.Contains("after 50 of the 100 bytes of a frame payload", error.Message, StringComparison.Ordinal);
    }

    private static byte[] Frame(uint streamId, FrameType type, byte[] payload)
    {
        var bytes = new byte[FrameHeader.Size + payload.Length];
        new FrameHeader((uint)payload.Length, streamId, type, 0).Write(bytes);
        payload.CopyTo(bytes, FrameHeader.Size);
        return bytes;
    }

    private static byte[] Concat(params byte[][] parts) => parts.SelectMany(part => part).ToArray();
}
