using System.Net.Sockets;
using Google.Protobuf;
using GuestPull.Ttrpc.Framing;
using GuestPull.Api.Ttrpc.Protocol;

namespace GuestPull.Ttrpc.Tests.Support;

/// A bare socket speaking frames directly, for what the real client never sends: garbage, even stream
/// ids, deadlines it does not enforce itself.
internal sealed class RawConnection : IAsyncDisposable
{
    private readonly NetworkStream _stream;

    private RawConnection(NetworkStream stream, int maxMessageSize)
    {
        _stream = stream;
        Reader = new FrameReader(stream, maxMessageSize);
        Writer = new FrameWriter(stream, maxMessageSize);
    }

    public FrameReader Reader { get; }

    public FrameWriter Writer { get; }

    public static async Task<RawConnection> ConnectAsync(string path, int maxMessageSize)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(path));
        return new RawConnection(new NetworkStream(socket, ownsSocket: true), maxMessageSize);
    }

    public async Task WriteBytesAsync(byte[] bytes)
    {
        await _stream.WriteAsync(bytes);
        await _stream.FlushAsync();
    }

    public Task SendRequestAsync(uint streamId, Request request) =>
        Writer.WriteAsync(streamId, FrameType.Request, request, CancellationToken.None).AsTask();

    /// Reads the next response frame and parses it; fails the test if the server closes first.
    public async Task<(FrameHeader Header, Response Response)> ReadResponseAsync()
    {
        using var timeout = new CancellationTokenSource(ServerHarness.Patience);
        var next = await Reader.ReadAsync(timeout.Token);
        Assert.True(next.HasValue, "the server closed the connection instead of answering");
        var frame = next.Value;
        try
        {
            Assert.False(frame.IsOversized);
            return (frame.Header, Response.Parser.ParseFrom(frame.Payload));
        }
        finally
        {
            frame.Dispose();
        }
    }

    /// True once the server has closed the connection (a read returns end of stream).
    public async Task<bool> WaitForServerCloseAsync()
    {
        using var timeout = new CancellationTokenSource(ServerHarness.Patience);
        var buffer = new byte[4096];
        try
        {
            while (await _stream.ReadAsync(buffer, timeout.Token) > 0)
            {
            }

            return true;
        }
        catch (IOException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public static Request EchoRequest(string method, IMessage payload, long timeoutNano = 0) => new()
    {
        Service = ServerHarness.Service,
        Method = method,
        Payload = payload.ToByteString(),
        TimeoutNano = timeoutNano,
    };

    public ValueTask DisposeAsync() => _stream.DisposeAsync();
}
