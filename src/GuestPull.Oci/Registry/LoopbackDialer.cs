using System.Net;
using System.Net.Sockets;

namespace GuestPull.Oci.Registry;

/// <summary>
/// The TCP connect step of the registry transport when <see cref="RegistryClientOptions.LoopbackGateway"/>
/// is set: a loopback host is dialled at the gateway on the same port, any other host is resolved and
/// connected as the handler would by itself. Only the socket's peer changes; TLS and HTTP run on top
/// with the request's own host, so the Host header, SNI and the certificate's name stay the registry's.
/// </summary>
internal sealed class LoopbackDialer
{
    private readonly IPAddress _gateway;

    public LoopbackDialer(IPAddress gateway) => _gateway = gateway;

    /// <summary>Whether <paramref name="host"/> (as in a URI, IPv6 in brackets or not) names this machine's loopback.</summary>
    public static bool IsLoopbackHost(string host)
    {
        ArgumentNullException.ThrowIfNull(host);
        // "localhost." is the same name made absolute.
        var name = host.EndsWith('.') ? host[..^1] : host;
        if (string.Equals(name, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (name.StartsWith('[') && name.EndsWith(']'))
        {
            name = name[1..^1];
        }

        // IPAddress.IsLoopback covers 127.0.0.0/8, ::1 and IPv4-mapped 127.x addresses.
        return IPAddress.TryParse(name, out var address) && IPAddress.IsLoopback(address);
    }

    /// <summary>A <see cref="SocketsHttpHandler.ConnectCallback"/>; the handler's ConnectTimeout arrives in <paramref name="cancellationToken"/>.</summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var endpoint = context.DnsEndPoint;
        if (!IsLoopbackHost(endpoint.Host))
        {
            // What SocketsHttpHandler does without a callback: a dual-mode socket that resolves the
            // name and tries each address.
            return await ConnectAsync(new Socket(SocketType.Stream, ProtocolType.Tcp), endpoint, gateway: null, cancellationToken).ConfigureAwait(false);
        }

        var gateway = new IPEndPoint(_gateway, endpoint.Port);
        return await ConnectAsync(new Socket(_gateway.AddressFamily, SocketType.Stream, ProtocolType.Tcp), gateway, gateway, cancellationToken).ConfigureAwait(false);
    }

    private static async ValueTask<Stream> ConnectAsync(Socket socket, EndPoint endpoint, IPEndPoint? gateway, CancellationToken cancellationToken)
    {
        try
        {
            socket.NoDelay = true;
            await socket.ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch (SocketException ex) when (gateway is not null)
        {
            socket.Dispose();
            // The handler's message names the registry's host:port only; say where the socket really went.
            throw new SocketException((int)ex.SocketErrorCode, $"{ex.Message} (dialled the loopback gateway {gateway})");
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
