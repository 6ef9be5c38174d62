using System.Net.Sockets;
using Grpc.Net.Client;

namespace GuestPull.Api.Grpc;

/// <summary>gRPC over a unix socket, the way containerd's clients reach it (plaintext HTTP/2, authority "localhost").</summary>
public static class UnixSocketChannel
{
    /// <summary>containerd's message limit (grpc-go's default raised to 16 MiB).</summary>
    public const int MaxMessageBytes = 16 * 1024 * 1024;

    /// <summary>The socket path of an address. Accepts <c>unix:///path</c>, <c>unix:/path</c> or a bare path.</summary>
    public static string ToPath(string address)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(address);
        var path = address.StartsWith("unix://", StringComparison.Ordinal) ? address["unix://".Length..]
            : address.StartsWith("unix:", StringComparison.Ordinal) ? address["unix:".Length..]
            : address;
        if (!Path.IsPathRooted(path))
        {
            throw new ArgumentException($"socket address '{address}' must be an absolute path or unix:///path");
        }

        return path;
    }

    /// <summary>A channel to the gRPC server on the unix socket <paramref name="address"/> (16 MiB messages, as containerd allows).</summary>
    public static GrpcChannel Create(string address)
    {
        var path = ToPath(address);
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), ct).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions
        {
            HttpHandler = handler,
            DisposeHttpClient = true,
            MaxReceiveMessageSize = MaxMessageBytes,
            MaxSendMessageSize = MaxMessageBytes,
        });
    }
}
