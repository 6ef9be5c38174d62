using Grpc.Core;
using Grpc.Net.Client;
using GuestPull.Api.Grpc;

namespace GuestPull.Install.Containerd;

/// <summary>gRPC channels over a unix socket, as containerd and its proxy plugins speak (plaintext HTTP/2).</summary>
internal static class ContainerdGrpc
{
    public const string NamespaceHeader = "containerd-namespace";

    public static GrpcChannel CreateChannel(string socketPath) => UnixSocketChannel.Create(socketPath);

    public static Metadata Namespace(string containerdNamespace) => new() { { NamespaceHeader, containerdNamespace } };

    /// <summary>Whether the failure means nothing answered on the socket (as opposed to an answer that says no).</summary>
    public static bool IsUnreachable(RpcException ex) => ex.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Cancelled;
}
