using GuestPull.Ttrpc.Framing;
using GuestPull.Ttrpc.Tests.Protos;
using GuestPull.Ttrpc.Tests.Support;

namespace GuestPull.Ttrpc.Tests;

/// What bounds a server's connections: a cap on how many are open, an idle time-out, and nothing kept
/// once a connection is gone.
public sealed class ConnectionLimitTests
{
    private const string Service = ServerHarness.Service;

    private static void RegisterEcho(TtrpcServer server) =>
        server.Register(Service, "Echo", EchoRequest.Parser, (_, request, _) => Task.FromResult(new EchoResponse { Text = request.Text }));

    private static async Task<string> EchoAsync(TtrpcClient client, string text) =>
        (await client.CallAsync<EchoRequest, EchoResponse>(Service, "Echo", new EchoRequest { Text = text })).Text;

    [Fact]
    public async Task AConnectionOverTheCap_IsClosed_AndTheServerKeepsServingTheOthers()
    {
        await using var harness = ServerHarness.Start(RegisterEcho, new TtrpcServerOptions { MaxConnections = 2 });
        var first = await harness.ConnectAsync();
        var second = await harness.ConnectAsync();
        Assert.Equal("1", await EchoAsync(first, "1"));
        Assert.Equal("2", await EchoAsync(second, "2"));

        var third = await harness.ConnectAsync();
        await Eventually.Within(third.Completion);
        await Assert.ThrowsAsync<TtrpcException>(() => EchoAsync(third, "3"));
        Assert.Equal(1, harness.Server.RefusedConnectionCount);
        Assert.Equal(2, harness.Server.ConnectionCount);

        Assert.Equal("1 again", await EchoAsync(first, "1 again"));
        Assert.Equal("2 again", await EchoAsync(second, "2 again"));

        // A place freed is a place for the next client.
        await first.DisposeAsync();
        await Eventually.TrueAsync(() => harness.Server.ConnectionCount == 1, "the server forgot the closed connection");
        var fourth = await harness.ConnectAsync();
        Assert.Equal("4", await EchoAsync(fourth, "4"));
    }

    [Fact]
    public async Task AStreamOverTheCap_IsRefusedByServeAsync()
    {
        await using var harness = ServerHarness.Start(RegisterEcho, new TtrpcServerOptions { MaxConnections = 1 });
        var client = await harness.ConnectAsync();
        Assert.Equal("held", await EchoAsync(client, "held"));

        var (mine, theirs) = SocketPair();
        await using (theirs)
        {
            var error = await Assert.ThrowsAsync<IOException>(() => harness.Server.ServeAsync(mine));
            Assert.Contains("1 connections, its limit", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task AnIdleConnection_IsClosedAfterTheTimeout()
    {
        await using var harness = ServerHarness.Start(RegisterEcho, new TtrpcServerOptions { IdleTimeout = TimeSpan.FromMilliseconds(300) });
        var client = await harness.ConnectAsync();
        Assert.Equal("once", await EchoAsync(client, "once"));

        await Eventually.Within(client.Completion);

        Assert.Equal(1, harness.Server.IdleClosedCount);
        await Eventually.TrueAsync(() => harness.Server.ConnectionCount == 0, "the server forgot the idle connection");
        var next = await harness.ConnectAsync();
        Assert.Equal("next", await EchoAsync(next, "next"));
    }

    [Fact]
    public async Task AConnectionWithACallInFlight_IsNotIdle()
    {
        await using var harness = ServerHarness.Start(
            server => server.Register(Service, "Slow", EchoRequest.Parser, async (_, request, cancellationToken) =>
            {
                // Three idle time-outs with nothing on the wire: the call, not the wire, keeps it busy.
                await Task.Delay(TimeSpan.FromMilliseconds(900), cancellationToken);
                return new EchoResponse { Text = request.Text };
            }),
            new TtrpcServerOptions { IdleTimeout = TimeSpan.FromMilliseconds(300) });
        var client = await harness.ConnectAsync();

        var response = await client.CallAsync<EchoRequest, EchoResponse>(Service, "Slow", new EchoRequest { Text = "slow but alive" });

        Assert.Equal("slow but alive", response.Text);
        Assert.Equal(0, harness.Server.IdleClosedCount);
    }

    [Fact]
    public async Task ManyConnectCloseCycles_LeaveNoConnectionBehind()
    {
        await using var harness = ServerHarness.Start(RegisterEcho, new TtrpcServerOptions { MaxConnections = 8 });
        for (var i = 0; i < 500; i++)
        {
            await using var client = await TtrpcClient.ConnectAsync(harness.SocketPath);
            Assert.Equal("cycle", await EchoAsync(client, "cycle"));
        }

        // Sequential cycles never hold more than a few at once (the server notices a close a moment
        // after the client), so none was refused, and every one was forgotten.
        await Eventually.TrueAsync(() => harness.Server.ConnectionCount == 0, "every closed connection is forgotten");
        Assert.Equal(0, harness.Server.RefusedConnectionCount);
    }

    [Fact]
    public async Task TheReadBuffer_IsRentedAtTheFirstRead_AndReturnedOnDispose()
    {
        var (mine, theirs) = SocketPair();
        await using (mine)
        await using (theirs)
        {
            var reader = new FrameReader(mine, 1024);
            Assert.False(reader.HoldsBuffer);
            await theirs.WriteAsync(new byte[10]);
            await theirs.FlushAsync();
            var frame = await reader.ReadAsync(CancellationToken.None);
            Assert.NotNull(frame);
            frame.Value.Dispose();
            Assert.True(reader.HoldsBuffer);

            reader.Dispose();

            Assert.False(reader.HoldsBuffer);
            await Assert.ThrowsAsync<ObjectDisposedException>(() => reader.ReadAsync(CancellationToken.None).AsTask());
        }
    }

    private static (System.Net.Sockets.NetworkStream Mine, System.Net.Sockets.NetworkStream Theirs) SocketPair()
    {
        using var directory = GuestPull.Testing.TempDirectory.Create("ttrpc-pair");
        var path = directory.Combine("pair.sock");
        using var listener = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        listener.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(path));
        listener.Listen();
        var client = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        client.Connect(new System.Net.Sockets.UnixDomainSocketEndPoint(path));
        var server = listener.Accept();
        return (new System.Net.Sockets.NetworkStream(server, ownsSocket: true), new System.Net.Sockets.NetworkStream(client, ownsSocket: true));
    }
}
