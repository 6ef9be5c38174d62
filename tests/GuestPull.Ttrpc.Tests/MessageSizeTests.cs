using Google.Protobuf;
using GuestPull.Ttrpc.Framing;
using GuestPull.Ttrpc.Tests.Protos;
using GuestPull.Ttrpc.Tests.Support;

namespace GuestPull.Ttrpc.Tests;

public sealed class MessageSizeTests
{
    private const string Service = ServerHarness.Service;

    [Fact]
    public async Task RequestOverTheServerCap_IsAnsweredResourceExhaustedNamingSizeAndCap_AndTheConnectionLivesOn()
    {
        await using var harness = ServerHarness.Start(
            server => server.Register(Service, "Echo", EchoRequest.Parser, (_, r, _) => Task.FromResult(new EchoResponse { Text = r.Text })),
            new TtrpcServerOptions { MaxMessageSize = 1024 });
        var client = await harness.ConnectAsync();
        var big = new EchoRequest { Padding = ByteString.CopyFrom(new byte[4000]) };

        var error = await Assert.ThrowsAsync<TtrpcException>(() => client.CallAsync<EchoRequest, EchoResponse>(Service, "Echo", big));
        var after = await client.CallAsync<EchoRequest, EchoResponse>(Service, "Echo", new EchoRequest { Text = "small" });

        Assert.Equal(TtrpcStatusCode.ResourceExhausted, error.StatusCode);
        Assert.Matches(@"^message length 40\d\d exceeds the maximum message size of 1024$", error.StatusMessage);
        Assert.Equal("small", after.Text);
    }

    [Fact]
    public async Task ResponseOverTheClientCap_FailsThatCallWithResourceExhausted_AndTheConnectionLivesOn()
    {
        await using var harness = ServerHarness.Start(server => server.Register(
            Service, "Echo", EchoRequest.Parser,
            (_, r, _) => Task.FromResult(new EchoResponse { Text = r.Text, Padding = ByteString.CopyFrom(new byte[r.ReplyPadding]) })));
        var client = await harness.ConnectAsync(new TtrpcClientOptions { MaxMessageSize = 2048 });

        var error = await Assert.ThrowsAsync<TtrpcException>(
            () => client.CallAsync<EchoRequest, EchoResponse>(Service, "Echo", new EchoRequest { ReplyPadding = 10_000 }));
        var after = await client.CallAsync<EchoRequest, EchoResponse>(Service, "Echo", new EchoRequest { Text = "ok", ReplyPadding = 10 });

        Assert.Equal(TtrpcStatusCode.ResourceExhausted, error.StatusCode);
        Assert.Matches(@"^message length 100\d\d exceeds the maximum message size of 2048$", error.StatusMessage);
        Assert.Equal("ok", after.Text);
    }

    [Fact]
    public async Task RequestOverTheClientCap_IsRefusedBeforeSending()
    {
        var calls = 0;
        await using var harness = ServerHarness.Start(server => server.Register(
            Service, "Echo", EchoRequest.Parser, (_, _, _) =>
            {
                Interlocked.Increment(ref calls);
                return Task.FromResult(new EchoResponse());
            }));
        var client = await harness.ConnectAsync(new TtrpcClientOptions { MaxMessageSize = 1000 });

        var error = await Assert.ThrowsAsync<TtrpcException>(() => client.CallAsync<EchoRequest, EchoResponse>(
            Service, "Echo", new EchoRequest { Padding = ByteString.CopyFrom(new byte[2000]) }));
        await client.CallAsync<EchoRequest, EchoResponse>(Service, "Echo", new EchoRequest());

        Assert.Equal(TtrpcStatusCode.ResourceExhausted, error.StatusCode);
        Assert.Contains("exceeds the maximum message size of 1000 bytes", error.StatusMessage, StringComparison.Ordinal);
        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task ResponseOverTheServerCap_IsReplacedByAResourceExhaustedStatus()
    {
        await using var harness = ServerHarness.Start(
            server => server.Register(Service, "Echo", EchoRequest.Parser,
                (_, r, _) => Task.FromResult(new EchoResponse { Padding = ByteString.CopyFrom(new byte[r.ReplyPadding]) })),
            new TtrpcServerOptions { MaxMessageSize = 1024 });
        var client = await harness.ConnectAsync();

        var error = await Assert.ThrowsAsync<TtrpcException>(
            () => client.CallAsync<EchoRequest, EchoResponse>(Service, "Echo", new EchoRequest { ReplyPadding = 5000 }));

        Assert.Equal(TtrpcStatusCode.ResourceExhausted, error.StatusCode);
        Assert.Contains("exceeds the maximum message size of 1024 bytes", error.StatusMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DefaultCap_Is4MiB_AndAFrameJustUnderItPasses()
    {
        await using var harness = ServerHarness.Start(server => server.Register(
            Service, "Echo", EchoRequest.Parser, (_, r, _) => Task.FromResult(new EchoResponse { Text = $"{r.Padding.Length}" })));
        await using var raw = await harness.ConnectRawAsync(maxMessageSize: 8 << 20);
        var client = await harness.ConnectAsync();

        var nearCap = new EchoRequest { Padding = ByteString.CopyFrom(new byte[(4 << 20) - 100]) };
        var ok = await client.CallAsync<EchoRequest, EchoResponse>(Service, "Echo", nearCap);
        var overCap = new EchoRequest { Padding = ByteString.CopyFrom(new byte[(4 << 20) + 1]) };
        await raw.Writer.WriteAsync(1, FrameType.Request, RawConnection.EchoRequest("Echo", overCap), CancellationToken.None);
        var (_, refused) = await raw.ReadResponseAsync();

        Assert.Equal($"{(4 << 20) - 100}", ok.Text);
        Assert.Equal((int)TtrpcStatusCode.ResourceExhausted, refused.Status.Code);
        Assert.EndsWith($"exceeds the maximum message size of {4 << 20}", refused.Status.Message, StringComparison.Ordinal);
    }
}
