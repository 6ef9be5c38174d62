using System.Net.Sockets;

namespace GuestPull.Ttrpc.Transport;

/// <summary>Opens client connections to unix domain sockets.</summary>
internal static class UnixSocketConnector
{
    private const string UnixScheme = "unix://";

    /// <summary>Accepts a plain path or the <c>unix:///path</c> form that shims print.</summary>
    public static string NormalizePath(string address)
    {
        ArgumentException.ThrowIfNullOrEmpty(address);
        return address.StartsWith(UnixScheme, StringComparison.Ordinal) ? address[UnixScheme.Length..] : address;
    }

    public static async Task<Stream> ConnectAsync(string address, CancellationToken cancellationToken)
    {
        var path = NormalizePath(address);
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new TtrpcException(
                TtrpcStatusCode.Unavailable,
                $"cannot connect to the ttrpc socket '{path}': {ex.Message}",
                details: null,
                innerException: ex);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
