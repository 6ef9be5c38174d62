using GuestPull.Ttrpc.Framing;
using GuestPull.Api.Ttrpc.Protocol;

namespace GuestPull.Ttrpc.Tests.Framing;

public sealed class FrameWriterTests
{
    [Fact]
    public async Task WriteAsync_WritesHeaderThenTheSerializedMessage()
    {
        var output = new MemoryStream();
        var writer = new FrameWriter(output, 1024);
        var request = new Request { Service = "s", Method = "m" };

        await writer.WriteAsync(7, FrameType.Request, request, CancellationToken.None);

        var bytes = output.ToArray();
        var header = FrameHeader.Read(bytes);
        Assert.Equal(new FrameHeader((uint)request.CalculateSize(), 7, FrameType.Request, 0), header);
        Assert.Equal(request, Request.Parser.ParseFrom(bytes.AsSpan(FrameHeader.Size)));
    }

    [Fact]
    public async Task WriteAsync_MessageOverTheCap_IsRefusedWithSizeAndCapAndNothingIsWritten()
    {
        var output = new MemoryStream();
        var writer = new FrameWriter(output, 100);
        var request = new Request { Payload = Google.Protobuf.ByteString.CopyFrom(new byte[200]) };

        var error = await Assert.ThrowsAsync<TtrpcException>(
            () => writer.WriteAsync(1, FrameType.Request, request, CancellationToken.None).AsTask());

        Assert.Equal(TtrpcStatusCode.ResourceExhausted, error.StatusCode);
        Assert.Contains($"message of {request.CalculateSize()} bytes exceeds the maximum message size of 100 bytes", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, output.Length);
    }
}
