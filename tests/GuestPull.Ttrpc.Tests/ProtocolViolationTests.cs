using System.Text;
using GuestPull.Ttrpc.Framing;
using GuestPull.Api.Ttrpc.Protocol;
using GuestPull.Ttrpc.Tests.Protos;
using GuestPull.Ttrpc.Tests.Support;

namespace GuestPull.Ttrpc.Tests;

public sealed class ProtocolViolationTests
{
    private const string Service = ServerHarness.Service;

    private static ServerHarness StartEchoServer() => ServerHarness.Start(server => server.Register(
        Service, "Echo", EchoRequest.Parser, (_, r, _) => Task.FromResult(new EchoResponse { Text = r.Text })));

    [Fact]
    public async Task HttpGarbage_ReadAsAHugeFrame_IsAnsweredResourceExhaustedAndTheServerKeepsServingOthers()
    {
        await using var harness = StartEchoServer();
        await using var raw = await harness.ConnectRawAsync();

        // "GET " read as a length is 0x47455420 (1195725856 bytes), far over the 4 MiB cap.
        await raw.WriteBytesAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"));
        var (header, response) = await raw.ReadResponseAsync();

        Assert.Equal(0x2F204854u, header.StreamId); // "/ HT"
        Assert.Equal((int)TtrpcStatusCode.ResourceExhausted, response.Status.Code);
        Assert.Equal($"message length 1195725856 exceeds the maximum message size of {4 << 20}", response.Status.Message);

        var client = await harness.ConnectAsync();
        var echo = await client.CallAsync<EchoRequest, EchoResponse>(Service, "Echo", new EchoRequest { Text = "fine" });
        Assert.Equal("fine", echo.Text);
    }

    [Fact]
    public async Task GarbageConnectionClosing_IsDroppedByTheServer()
    {
        await using var harness = StartEchoServer();
        var raw = await harness.ConnectRawAsync();
        await raw.WriteBytesAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\n"));
        await raw.ReadResponseAsync();
        await Eventually.TrueAsync(() => harness.Server.ConnectionCount == 1, "the server tracks the garbage connection");

        await raw.DisposeAsync();

        await Eventually.TrueAsync(() => harness.Server.ConnectionCount == 0, "the server dropped the garbage connection");
    }

    [Fact]
    public async Task UndecodableRequestEnvelope_IsInvalidArgumentAndTheConnectionLivesOn()
    {
        await using var harness = StartEchoServer();
        await using var raw = await harness.ConnectRawAsync();

        // A frame whose body is not a Request message: field 1 claims 100 bytes, 4 follow.
        var frame = new byte[FrameHeader.Size + 6];
        new FrameHeader(6, 1, FrameType.Request, 0).Write(frame);
        new byte[] { 0x0A, 100, 1, 2, 3, 4 }.CopyTo(frame, FrameHeader.Size);
        await raw.WriteBytesAsync(frame);
        var (header, response) = await raw.ReadResponseAsync();

        Assert.Equal(1u, header.StreamId);
        Assert.Equal((int)TtrpcStatusCode.InvalidArgument, response.Status.Code);
        Assert.StartsWith("unmarshal request error: ", response.Status.Message, StringComparison.Ordinal);

        await raw.SendRequestAsync(3, RawConnection.EchoRequest("Echo", new EchoRequest { Text = "next" }));
        var (_, next) = await raw.ReadResponseAsync();
        Assert.Equal("next", EchoResponse.Parser.ParseFrom(next.Payload).Text);
    }

    [Fact]
    public async Task EvenStreamId_IsInvalidArgumentWithUpstreamMessage()
    {
        await using var harness = StartEchoServer();
        await using var raw = await harness.ConnectRawAsync();

        await raw.SendRequestAsync(2, RawConnection.EchoRequest("Echo", new EchoRequest()));
        var (header, response) = await raw.ReadResponseAsync();

        Assert.Equal(2u, header.StreamId);
        Assert.Equal((int)TtrpcStatusCode.InvalidArgument, response.Status.Code);
        Assert.Equal("StreamID must be odd for client initiated streams", response.Status.Message);
    }

    [Fact]
    public async Task FramesOfOtherTypes_AreIgnoredForForwardCompatibility()
    {
        await using var harness = StartEchoServer();
        await using var raw = await harness.ConnectRawAsync();

        await raw.Writer.WriteAsync(1, FrameType.Data, new Request { Service = "ignored" }, CancellationToken.None);
        await raw.Writer.WriteAsync(3, (FrameType)0x7F, new Request { Service = "ignored" }, CancellationToken.None);
        await raw.SendRequestAsync(5, RawConnection.EchoRequest("Echo", new EchoRequest { Text = "answered" }));
        var (header, response) = await raw.ReadResponseAsync();

        Assert.Equal(5u, header.StreamId);
        Assert.Equal(0, response.Status.Code);
        Assert.Equal("answered", EchoResponse.Parser.ParseFrom(response.Payload).Text);
    }

    [Fact]
    public async Task MetadataWithAnEmptyKey_IsPassedToTheHandlerAsSent()
    {
        await using var harness = ServerHarness.Start(server => server.Register(
            Service, "Echo", EchoRequest.Parser, (context, _, _) =>
            {
                var response = new EchoResponse();
                response.Metadata.AddRange(context.Metadata.Select(entry => $"[{entry.Key}]={entry.Value}"));
                return Task.FromResult(response);
            }));
        await using var raw = await harness.ConnectRawAsync();
        var request = RawConnection.EchoRequest("Echo", new EchoRequest());
        request.Metadata.Add(new KeyValue { Key = "", Value = "v" });

        await raw.SendRequestAsync(1, request);
        var (_, response) = await raw.ReadResponseAsync();

        Assert.Equal(0, response.Status.Code);
        Assert.Equal(["[]=v"], EchoResponse.Parser.ParseFrom(response.Payload).Metadata);
    }

    [Fact]
    public async Task SuccessfulResponse_CarriesAnOkStatusLikeUpstream()
    {
        await using var harness = StartEchoServer();
        await using var raw = await harness.ConnectRawAsync();

        await raw.SendRequestAsync(1, RawConnection.EchoRequest("Echo", new EchoRequest { Text = "x" }));
        var (header, response) = await raw.ReadResponseAsync();

        Assert.Equal(FrameType.Response, header.Type);
        Assert.NotNull(response.Status);
        Assert.Equal(0, response.Status.Code);
    }

    [Fact]
    public async Task TruncatedFrameThenHangUp_ClosesOnlyThatConnection()
    {
        await using var harness = StartEchoServer();
        var raw = await harness.ConnectRawAsync();
        var frame = new byte[FrameHeader.Size + 3];
        new FrameHeader(100, 1, FrameType.Request, 0).Write(frame);
        await raw.WriteBytesAsync(frame);
        await Eventually.TrueAsync(() => harness.Server.ConnectionCount == 1, "the server tracks the connection");

        await raw.DisposeAsync();

        await Eventually.TrueAsync(() => harness.Server.ConnectionCount == 0, "the server dropped the truncated connection");
        var client = await harness.ConnectAsync();
        Assert.Equal("ok", (await client.CallAsync<EchoRequest, EchoResponse>(Service, "Echo", new EchoRequest { Text = "ok" })).Text);
    }

    [Fact]
    public async Task ClientReceivingGarbage_FailsPendingCallsClearly()
    {
        var directory = GuestPull.Testing.TempDirectory.Create("ttrpc");
        try
        {
            var path = directory.Combine("garbage.sock");
            using var listener = new System.Net.Sockets.Socket(
                System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
            listener.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(path));
            listener.Listen();
            await using var client = await TtrpcClient.ConnectAsync(path);
            using var accepted = await listener.AcceptAsync();

            var call = client.CallAsync<EchoRequest, EchoResponse>(Service, "Echo", new EchoRequest());
            // A response frame for stream 1 whose body is not a Response message.
            var frame = new byte[FrameHeader.Size + 3];
            new FrameHeader(3, 1, FrameType.Response, 0).Write(frame);
            new byte[] { 0x0A, 50, 1 }.CopyTo(frame, FrameHeader.Size);
            await accepted.SendAsync(frame);

            var error = await Assert.ThrowsAsync<TtrpcException>(() => Eventually.Within(call));
            Assert.Equal(TtrpcStatusCode.Internal, error.StatusCode);
            Assert.Contains("not a ttrpc Response message", error.StatusMessage, StringComparison.Ordinal);
        }
        finally
        {
            directory.Dispose();
        }
    }
}
