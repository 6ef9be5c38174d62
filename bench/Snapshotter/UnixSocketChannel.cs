using System.Net.Sockets;
using Grpc.Net.Client;

namespace GuestPull.Bench.Snapshotter;

/// gRPC over a unix socket (HTTP/2 without TLS), as containerd talks to a proxy snapshotter.
internal static class UnixSocketChannel
{
    public static GrpcChannel Create(string socketPath) =>
        GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                ConnectCallback = async (_, cancellationToken) =>
                {
                    var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                    try
                    {
                        await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken).ConfigureAwait(false);
                        return new NetworkStream(socket, ownsSocket: true);
                    }
                    catch
                    {
                        socket.Dispose();
                        throw;
                    }
                },
            },
        });
}
