using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace GuestPull.Oci.Tests.Registry;

/// Just enough HTTP/1.1 on one address and port to answer a few GETs, one request per connection,
/// optionally over TLS: it records every request's head as received (and the TLS server name the
/// client asked for), so a test can see what reached the socket, not what the client meant to send.
internal sealed class TinyHttpServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly Func<Request, Response> _respond;
    private readonly X509Certificate2? _certificate;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private TinyHttpServer(IPEndPoint endpoint, Func<Request, Response> respond, X509Certificate2? certificate)
    {
        _respond = respond;
        _certificate = certificate;
        _listener = new TcpListener(endpoint);
        _listener.Start();
        _loop = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public ConcurrentQueue<Request> Requests { get; } = new();

    /// The server names (SNI) TLS clients asked for; null entries for a client that sent none.
    public ConcurrentQueue<string?> ServerNames { get; } = new();

    public static TinyHttpServer Start(IPEndPoint endpoint, Func<Request, Response> respond, X509Certificate2? certificate = null) =>
        new(endpoint, respond, certificate);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _loop;
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }

        _listener.Dispose();
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                Stream stream = client.GetStream();
                if (_certificate is not null)
                {
                    var tls = new SslStream(stream);
                    await tls.AuthenticateAsServerAsync(
                        new SslServerAuthenticationOptions
                        {
                            ServerCertificateSelectionCallback = (_, name) =>
                            {
                                ServerNames.Enqueue(name);
                                return _certificate;
                            },
                        },
                        _stop.Token);
                    stream = tls;
                }

                await using (stream)
                {
                    var first = await ReadFirstByteAsync(stream);
                    if (_certificate is null && first == 0x16)
                    {
                        // What an HTTP server does with a TLS ClientHello: it cannot parse a request line, answers 400 and hangs up.
                        Interlocked.Increment(ref _tlsHandshakes);
                        await stream.WriteAsync("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n"u8.ToArray(), _stop.Token);
                        return;
                    }

                    var request = await ReadHeadAsync(stream, first);
                    Requests.Enqueue(request);
                    var response = _respond(request);
                    var body = Encoding.UTF8.GetBytes(response.Body);
                    var head = new StringBuilder($"HTTP/1.1 {response.Status} X\r\nContent-Length: {body.Length}\r\nConnection: close\r\n");
                    foreach (var (name, value) in response.Headers ?? new Dictionary<string, string>())
                    {
                        head.Append(name).Append(": ").Append(value).Append("\r\n");
                    }

                    await stream.WriteAsync(Encoding.ASCII.GetBytes(head.Append("\r\n").ToString()), _stop.Token);
                    await stream.WriteAsync(body, _stop.Token);
                }
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or System.Security.Authentication.AuthenticationException)
            {
                // A client that gave up (or rejected the certificate): nothing to answer.
            }
        }
    }

    private int _tlsHandshakes;

    /// How many TLS handshakes a plain-HTTP server was sent (each answered 400).
    public int TlsHandshakes => Volatile.Read(ref _tlsHandshakes);

    // The first byte tells a TLS handshake record (0x16) from an HTTP request line: no method starts with it.
    private async Task<byte> ReadFirstByteAsync(Stream stream)
    {
        var one = new byte[1];
        if (await stream.ReadAsync(one, _stop.Token) == 0)
        {
            throw new IOException("the client closed the connection before sending anything");
        }

        return one[0];
    }

    private async Task<Request> ReadHeadAsync(Stream stream, byte first)
    {
        var head = new List<byte> { first };
        var one = new byte[1];
        while (head.Count < 4 || !(head[^4] == '\r' && head[^3] == '\n' && head[^2] == '\r' && head[^1] == '\n'))
        {
            if (await stream.ReadAsync(one, _stop.Token) == 0)
            {
                throw new IOException("the client closed the connection before the end of the request head");
            }

            head.Add(one[0]);
        }

        var lines = Encoding.ASCII.GetString([.. head]).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var parts = lines[0].Split(' ');
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            headers[line[..colon]] = line[(colon + 1)..].Trim();
        }

        return new Request(parts[0], parts[1], headers);
    }

    /// A request as it arrived: method, request target and headers.
    public sealed record Request(string Method, string Target, IReadOnlyDictionary<string, string> Headers);

    /// What to answer: a status, a body and extra headers.
    public sealed record Response(int Status, string Body = "", IReadOnlyDictionary<string, string>? Headers = null);
}
