using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using GuestPull.Oci.Registry.Configuration;

namespace GuestPull.Oci.Registry;

/// <summary>
/// The loopback registries of one client found to speak plain HTTP (see <see cref="RegistryEndpoint.HttpFallback"/>),
/// shared by its sessions so the failed TLS attempt is made once per host, not once per repository or request.
/// </summary>
internal sealed class PlainHttpFallback
{
    private readonly ConcurrentDictionary<string, byte> _plainHosts = new(StringComparer.OrdinalIgnoreCase);
    private readonly RegistryClientOptions _options;

    public PlainHttpFallback(RegistryClientOptions options) => _options = options;

    /// <summary>Whether <paramref name="host"/> answered plain HTTP after refusing TLS.</summary>
    public bool SpeaksPlainHttp(string host) => _plainHosts.ContainsKey(host);

    public void Remember(string host) => _plainHosts.TryAdd(host, 0);

    /// <summary>
    /// Whether a failed TLS handshake with <paramref name="endpoint"/> may be retried over plain HTTP: the
    /// configuration allows it, and no <c>certs.d/host:port</c> directory asks for TLS with a CA of its own.
    /// </summary>
    public bool Allows(RegistryEndpoint endpoint) =>
        endpoint.HttpFallback && !_options.CertificateDirectories.Any(directory => Directory.Exists(Path.Combine(directory, endpoint.Host)));

    /// <summary>
    /// Whether the server at <paramref name="hostPort"/> speaks TLS at all: a TLS handshake in which it presents
    /// a certificate, trusted or not. A server that rejected ours (an unknown CA, a wrong name) must never be
    /// taken for a plain-HTTP one: only a server that sends no certificate is.
    /// </summary>
    public async Task<bool> PresentsCertificateAsync(string hostPort, CancellationToken cancellationToken)
    {
        var uri = new Uri("https://" + hostPort);
        EndPoint target = _options.LoopbackGateway is { } gateway && LoopbackDialer.IsLoopbackHost(uri.Host)
            ? new IPEndPoint(gateway, uri.Port)
            : IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address) ? new IPEndPoint(address, uri.Port) : new DnsEndPoint(uri.Host, uri.Port);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.RequestTimeout);
        using var socket = target is IPEndPoint ip ? new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp) : new Socket(SocketType.Stream, ProtocolType.Tcp);
        var presented = false;
        try
        {
            await socket.ConnectAsync(target, timeout.Token).ConfigureAwait(false);
            await using var tls = new SslStream(new NetworkStream(socket, ownsSocket: false));
            await tls.AuthenticateAsClientAsync(
                new SslClientAuthenticationOptions
                {
                    TargetHost = uri.Host.Trim('[', ']'),
                    RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                    {
                        presented = certificate is not null;
                        return false; // The probe never talks over this connection.
                    },
                },
                timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or System.Security.Authentication.AuthenticationException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            // The handshake fails either way; what matters is whether a certificate arrived before it did.
        }
        return presented;
    }
}
