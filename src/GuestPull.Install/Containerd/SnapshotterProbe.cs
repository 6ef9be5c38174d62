using Google.Protobuf;
using Grpc.Core;

namespace GuestPull.Install.Containerd;

/// <summary>
/// Asks a proxy snapshotter for a snapshot that does not exist: a NotFound (or any answer) proves it
/// serves containerd's Snapshots API on the socket, exactly as containerd would reach it.
/// </summary>
internal static class SnapshotterProbe
{
    private static readonly Method<byte[], byte[]> Stat = new(
        MethodType.Unary,
        "containerd.services.snapshots.v1.Snapshots",
        "Stat",
        Marshallers.Create(bytes => bytes, bytes => bytes),
        Marshallers.Create(bytes => bytes, bytes => bytes));

    /// <summary>Null when the snapshotter answered, else what went wrong.</summary>
    public static async Task<string?> ProbeAsync(string socketPath, string snapshotterName, CancellationToken cancellationToken)
    {
        if (!File.Exists(socketPath))
        {
            return $"socket {socketPath} does not exist";
        }
        using var channel = ContainerdGrpc.CreateChannel(socketPath);
        var invoker = channel.CreateCallInvoker();
        // StatSnapshotRequest { snapshotter = 1, key = 2 }.
        var request = Encode(snapshotterName, "guestpull-readiness-probe");
        try
        {
            await invoker.AsyncUnaryCall(Stat, null, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(10), cancellationToken: cancellationToken), request)
                .ResponseAsync.ConfigureAwait(false);
            return null;
        }
        catch (RpcException ex) when (!ContainerdGrpc.IsUnreachable(ex))
        {
            return null;
        }
        catch (RpcException ex)
        {
            return $"{socketPath} does not answer: {ex.Status.StatusCode} {ex.Status.Detail}";
        }
    }

    private static byte[] Encode(string snapshotter, string key)
    {
        using var buffer = new MemoryStream();
        var output = new CodedOutputStream(buffer, leaveOpen: true);
        output.WriteTag(1, WireFormat.WireType.LengthDelimited);
        output.WriteString(snapshotter);
        output.WriteTag(2, WireFormat.WireType.LengthDelimited);
        output.WriteString(key);
        output.Flush();
        return buffer.ToArray();
    }
}
