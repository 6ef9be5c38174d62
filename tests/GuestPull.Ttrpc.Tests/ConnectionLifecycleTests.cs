using System.Net.Sockets;
using GuestPull.Ttrpc.Tests.Protos;
using GuestPull.Ttrpc.Tests.Support;

namespace GuestPull.Ttrpc.Tests;

public sealed class ConnectionLifecycleTests
{
    private const string Service = ServerHarness.Service;

    [Fact]
    public async Task ClientDisconnectingMidCall_CancelsTheHandlerAndTheServerCarriesOn()
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handlerCancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var harness = ServerHarness.Start(server =>
        {
            server.Register(Service, "Hang", EchoRequest.Parser, async (_, _, cancellationToken) =>
            {
                entered.TrySetResult();
                try
                {
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                }
                finally
                {
                    handlerCancelled.TrySetResult();
                }

                return new EchoResponse();
            });
            server.Register(Service, "Echo", EchoRequest.Parser, (_, r, _) => Task.FromResult(new EchoResponse { Text = r.Text }));
        });
        var leaving = await TtrpcClient.ConnectAsync(harness.SocketPath);

        var pending = leaving.CallAsync<EchoRequest, EchoResponse>(Service, "Hang", new EchoRequest());
        await Eventually.Within(entered.Task);
        await leaving.DisposeAsync();

        var error = await Assert.ThrowsAsync<TtrpcException>(() => pending);
        Assert.Equal(TtrpcStatusCode.Unavailable, error.StatusCode);
        Assert.Contains("disposed", error.StatusMessage, StringComparison.Ordinal);
        await Eventually.Within(handlerCancelled.Task);
        await Eventually.TrueAsync(() => harness.Server.ConnectionCount == 0, "the server dropped the closed connection");

        var other = await harness.ConnectAsync();
        var response = await other.CallAsync<EchoRequest, EchoResponse>(Service, "Echo", new EchoRequest { Text = "alive" });
        Assert.Equal("alive", response.Text);
    }

    [Fact]
    public async Task Shutdown_LetsTheCallInFlightFinish_RefusesNewConnections_ThenCloses()
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var harness = ServerHarness.Start(server => server.Register(
            Service, "Slow", EchoRequest.Parser, async (_, request, _) =>
            {
                entered.TrySetResult();
                await release.Task;
                return new EchoResponse { Text = request.Text };
            }));
        var client = await harness.ConnectAsync();

        var inFlight = client.CallAsync<EchoRequest, EchoResponse>(Service, "Slow", new EchoRequest { Text = "finished" });
        await Eventually.Within(entered.Task);
        var shutdown = harness.Server.ShutdownAsync();

        await Eventually.TrueAsync(() => !File.Exists(harness.SocketPath), "the listener's socket file is removed");
        await Assert.ThrowsAsync<TtrpcException>(() => TtrpcClient.ConnectAsync(harness.SocketPath));
        Assert.False(shutdown.IsCompleted, "shutdown finished while a call was still in flight");

        release.TrySetResult();
        var response = await Eventually.Within(inFlight);
        await Eventually.Within(shutdown);

        Assert.Equal("finished", response.Text);
        await Eventually.Within(client.Completion);
        var closed = await Assert.ThrowsAsync<TtrpcException>(
            () => client.CallAsync<EchoRequest, EchoResponse>(Service, "Slow", new EchoRequest()));
        Assert.Equal(TtrpcStatusCode.Unavailable, closed.StatusCode);
        Assert.Equal(0, harness.Server.ConnectionCount);
    }

    [Fact]
    public async Task Shutdown_GracePeriodOver_CancelsHandlersThatDoNotFinish()
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handlerCancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var harness = ServerHarness.Start(
            server => server.Register(Service, "Hang", EchoRequest.Parser, async (_, _, cancellationToken) =>
            {
                entered.TrySetResult();
                try
                {
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                }
                finally
                {
                    handlerCancelled.TrySetResult();
                }

                return new EchoResponse();
            }),
            new TtrpcServerOptions { ShutdownTimeout = TimeSpan.FromMilliseconds(200) });
        var client = await harness.ConnectAsync();

        var inFlight = client.CallAsync<EchoRequest, EchoResponse>(Service, "Hang", new EchoRequest());
        await Eventually.Within(entered.Task);
        await Eventually.Within(harness.Server.ShutdownAsync());

        await Eventually.Within(handlerCancelled.Task);
        var error = await Assert.ThrowsAsync<TtrpcException>(() => Eventually.Within(inFlight));
        Assert.True(
            error.StatusCode is TtrpcStatusCode.Unavailable or TtrpcStatusCode.Cancelled,
            $"unexpected status {error.StatusCode}: {error.StatusMessage}");
    }

    [Fact]
    public async Task ServerClosingTheConnection_FailsEveryPendingCallWithUnavailable()
    {
        var directory = GuestPull.Testing.TempDirectory.Create("ttrpc");
        try
        {
            var path = directory.Combine("closing.sock");
            using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(path));
            listener.Listen();
            await using var client = await TtrpcClient.ConnectAsync(path);
            using var accepted = await listener.AcceptAsync();

            var calls = Enumerable.Range(0, 5)
                .Select(_ => client.CallAsync<EchoRequest, EchoResponse>(Service, "Echo", new EchoRequest()))
                .ToArray();
            // Read until all five requests have arrived, then hang up without answering.
            var buffer = new byte[64 * 1024];
            var frames = 0;
            var received = new List<byte>();
            while (frames < 5)
            {
                var n = await accepted.ReceiveAsync(buffer);
                Assert.True(n > 0, "the client closed the connection");
                received.AddRange(buffer.AsSpan(0, n).ToArray());
                frames = CountFrames(received);
            }

            accepted.Shutdown(SocketShutdown.Both);
            accepted.Close();

            foreach (var call in calls)
            {
                var error = await Assert.ThrowsAsync<TtrpcException>(() => Eventually.Within(call));
                Assert.Equal(TtrpcStatusCode.Unavailable, error.StatusCode);
                Assert.Contains("the server closed the connection", error.StatusMessage, StringComparison.Ordinal);
            }

            Assert.True(client.IsClosed);
            var later = await Assert.ThrowsAsync<TtrpcException>(
                () => client.CallAsync<EchoRequest, EchoResponse>(Service, "Echo", new EchoRequest()));
            Assert.Equal(TtrpcStatusCode.Unavailable, later.StatusCode);
        }
        finally
        {
            directory.Dispose();
        }
    }

    [Fact]
    public async Task DisposedClient_RefusesNewCalls()
    {
        await using var harness = ServerHarness.Start(_ => { });
        var client = await TtrpcClient.ConnectAsync(harness.SocketPath);
        await client.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(
            () => client.CallAsync<EchoRequest, EchoResponse>(Service, "Echo", new EchoRequest()));
    }

    [Fact]
    public async Task ServeAsync_ServesAConnectedStreamUntilItCloses()
    {
        await using var server = new TtrpcServer();
        server.Register(Service, "Echo", EchoRequest.Parser, (_, r, _) => Task.FromResult(new EchoResponse { Text = r.Text }));
        var (serverSide, clientSide) = SocketPair();

        var serving = server.ServeAsync(new NetworkStream(serverSide, ownsSocket: true));
        await using (var client = new TtrpcClient(new NetworkStream(clientSide, ownsSocket: true)))
        {
            var response = await client.CallAsync<EchoRequest, EchoResponse>(Service, "Echo", new EchoRequest { Text = "paired" });
            Assert.Equal("paired", response.Text);
        }

        await Eventually.Within(serving);
    }

    private static int CountFrames(List<byte> bytes)
    {
        var count = 0;
        var offset = 0;
        while (bytes.Count - offset >= 10)
        {
            var length = (bytes[offset] << 24) | (bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3];
            if (bytes.Count - offset - 10 < length)
            {
                break;
            }

            offset += 10 + length;
            count++;
        }

        return count;
    }

    private static (Socket, Socket) SocketPair()
    {
        var path = Path.Combine(Path.GetTempPath(), $"gp-pair-{Guid.NewGuid():N}.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen();
        var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        client.Connect(new UnixDomainSocketEndPoint(path));
        var server = listener.Accept();
        File.Delete(path);
        return (server, client);
    }
}
