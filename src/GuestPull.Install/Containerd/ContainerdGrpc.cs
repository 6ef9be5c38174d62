using System.Net.Sockets;
using Grpc.Core;
using Grpc.Net.Client;

namespace GuestPull.Install.Containerd;

/// <summary>gRPC channels over a unix socket, as containerd and its proxy plugins speak (plaintext HTTP/2).</summary>
internal static class ContainerdGrpc
{
    public const int MaxMessageBytes = 16 * 1024 * 1024;
    public const string NamespaceHeader = "containerd-namespace";

    public static GrpcChannel CreateChannel(string socketPath)
    {
        var handler = new SocketsHttpHandler
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
        };
        return GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions
        {
            HttpHandler = handler,
            DisposeHttpClient = true,
            MaxReceiveMessageSize = MaxMessageBytes,
            MaxSendMessageSize = MaxMessageBytes,
        });
    }

    public static Metadata Namespace(string containerdNamespace) => new() { { NamespaceHeader, containerdNamespace } };

    /// <summary>Whether the failure means nothing answered on the socket (as opposed to an answer that says no).</summary>
    public static bool IsUnreachable(RpcException ex) => ex.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Cancelled;
}
