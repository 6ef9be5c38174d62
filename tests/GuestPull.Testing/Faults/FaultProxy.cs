using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.WebUtilities;

namespace GuestPull.Testing;

/// A TCP proxy on 127.0.0.1 in front of a plain-HTTP registry that understands just enough HTTP/1.1 to
/// misbehave on purpose: cut a response body short (<see cref="DropAfterBytes"/>) or answer with a canned
/// response (<see cref="ReplaceResponse"/>). One request per connection: requests are forwarded with
/// Connection: close and every response goes back with Connection: close. Every request is recorded with
/// its headers (Range included) so tests can assert that a client resumed.
public sealed class FaultProxy : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly string _upstreamHost;
    private readonly int _upstreamPort;
    private readonly RegistryCredentials? _upstreamCredentials;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<int, Task> _connections = new();
    private readonly Lock _rulesGate = new();
    private readonly List<FaultRule> _rules = [];
    private readonly ConcurrentQueue<ProxiedRequest> _requests = new();
    private Task _acceptLoop = Task.CompletedTask;
    private int _nextConnectionId;

    private FaultProxy(TcpListener listener, string upstreamHost, int upstreamPort, RegistryCredentials? upstreamCredentials)
    {
        _listener = listener;
        _upstreamHost = upstreamHost;
        _upstreamPort = upstreamPort;
        _upstreamCredentials = upstreamCredentials;
        Host = $"127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";
    }

    /// "127.0.0.1:PORT" of the proxy.
    public string Host { get; }

    public Uri BaseUri => new($"http://{Host}/");

    /// The proxy as a registry endpoint (plain HTTP, the upstream registry's default credentials).
    public RegistryEndpoint Endpoint => new(Host, false, null, _upstreamCredentials);

    public IReadOnlyList<ProxiedRequest> Requests => [.. _requests];

    public void ClearRequests() => _requests.Clear();

    public static Task<FaultProxy> StartAsync(RegistryInstance upstream, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(upstream);
        if (upstream.Tls)
        {
            throw new ArgumentException($"FaultProxy speaks plain HTTP only; registry {upstream.Name} serves TLS.", nameof(upstream));
        }

        return StartAsync(upstream.Host, upstream.DefaultCredentials, cancellationToken);
    }

    /// Starts a proxy for a plain-HTTP server at <paramref name="upstreamHost"/> ("host:port").
    public static Task<FaultProxy> StartAsync(string upstreamHost, RegistryCredentials? upstreamCredentials, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var colon = upstreamHost.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(upstreamHost.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port))
        {
            throw new ArgumentException($"'{upstreamHost}' is not host:port.", nameof(upstreamHost));
        }

        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var proxy = new FaultProxy(listener, upstreamHost[..colon], port, upstreamCredentials);
        proxy._acceptLoop = proxy.AcceptLoopAsync();
        return Task.FromResult(proxy);
    }

    /// The next <paramref name="times"/> successful (2xx) responses to requests whose path contains
    /// <paramref name="pathContains"/> are cut off after <paramref name="bytes"/> bytes of body, and the
    /// client connection is closed.
    public FaultProxy DropAfterBytes(string pathContains, long bytes, int times = 1, string? method = "GET")
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        AddRule(new FaultRule(ProxyFault.Dropped, pathContains, method, times) { DropAfterBytes = bytes });
        return this;
    }

    /// Requests whose path contains <paramref name="pathContains"/> get this response instead of the
    /// registry's (<paramref name="times"/> times, default always). Content-Length is added unless
    /// <paramref name="headers"/> sets one (set a wrong one to lie about the length); a HEAD gets no body.
    public FaultProxy ReplaceResponse(
        string pathContains,
        int status,
        IReadOnlyDictionary<string, string>? headers,
        byte[] body,
        int times = int.MaxValue,
        string? method = null)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (status is < 100 or > 999)
        {
            throw new ArgumentOutOfRangeException(nameof(status), status, "An HTTP status has three digits.");
        }

        AddRule(new FaultRule(ProxyFault.Replaced, pathContains, method, times)
        {
            Status = status,
            Headers = headers ?? new Dictionary<string, string>(),
            Body = body,
        });
        return this;
    }

    public void ClearRules()
    {
        lock (_rulesGate)
        {
            _rules.Clear();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        await _acceptLoop.ConfigureAwait(false);
        await Task.WhenAll(_connections.Values).ConfigureAwait(false);
        _stopping.Dispose();
    }

    private void AddRule(FaultRule rule)
    {
        lock (_rulesGate)
        {
            _rules.Add(rule);
        }
    }

    private FaultRule? TakeRule(ProxyFault kind, string method, string path)
    {
        lock (_rulesGate)
        {
            return _rules.FirstOrDefault(r => r.Kind == kind && r.Matches(method, path) && r.TryConsume());
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            var id = Interlocked.Increment(ref _nextConnectionId);
            _connections[id] = Task.Run(async () =>
            {
                try
                {
                    await HandleConnectionAsync(client, _stopping.Token).ConfigureAwait(false);
                }
                finally
                {
                    _connections.TryRemove(id, out _);
                }
            });
        }
    }

    private async Task HandleConnectionAsync(TcpClient client, CancellationToken cancellationToken)
    {
        using (client)
        {
            try
            {
                client.NoDelay = true;
                var clientStream = client.GetStream();
                var first = new byte[1];
                if (await clientStream.ReadAsync(first, cancellationToken).ConfigureAwait(false) == 0)
                {
                    return;
                }

                if (!char.IsAsciiLetterUpper((char)first[0]))
                {
                    // Not HTTP: most likely a TLS ClientHello from a client probing https first. Answer the way
                    // Go's net/http does, so the client sees "server gave HTTP response to HTTPS client" and falls back.
                    await clientStream.WriteAsync("HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
                    return;
                }

                var (head, overflow) = await HttpHead.ReadAsync(new PrefixedStream(first, clientStream), cancellationToken).ConfigureAwait(false);
                if (head is null)
                {
                    return;
                }

                await ProxyRequestAsync(client, clientStream, head, overflow, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or InvalidDataException or ObjectDisposedException)
            {
                // The client or the registry went away (or we cut it off on purpose); nothing to report.
            }
        }
    }

    private async Task ProxyRequestAsync(TcpClient client, NetworkStream clientStream, HttpHead request, byte[] overflow, CancellationToken cancellationToken)
    {
        var parts = request.StartLine.Split(' ');
        if (parts.Length != 3)
        {
            throw new InvalidDataException($"Malformed request line '{request.StartLine}'.");
        }

        var (method, target) = (parts[0], parts[1]);
        var path = target.Split('?', 2)[0];
        var headers = request.Fields
            .GroupBy(f => f.Key, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.OrdinalIgnoreCase);

        var replacement = TakeRule(ProxyFault.Replaced, method, path);
        if (replacement is not null)
        {
            _requests.Enqueue(new ProxiedRequest(method, target, headers, replacement.Status, ProxyFault.Replaced));
            await DrainRequestBodyAsync(clientStream, request, overflow, cancellationToken).ConfigureAwait(false);
            await WriteCannedResponseAsync(clientStream, replacement, method, cancellationToken).ConfigureAwait(false);
            client.Client.Shutdown(SocketShutdown.Send);
            return;
        }

        using var upstream = new TcpClient { NoDelay = true };
        try
        {
            await upstream.ConnectAsync(_upstreamHost, _upstreamPort, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            _requests.Enqueue(new ProxiedRequest(method, target, headers, 502, ProxyFault.None));
            var body = Encoding.UTF8.GetBytes($"FaultProxy could not reach {_upstreamHost}:{_upstreamPort}: {e.Message}\n");
            await clientStream.WriteAsync(Encoding.Latin1.GetBytes($"HTTP/1.1 502 Bad Gateway\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n"), cancellationToken).ConfigureAwait(false);
            await clientStream.WriteAsync(body, cancellationToken).ConfigureAwait(false);
            return;
        }

        var upstreamStream = upstream.GetStream();
        await upstreamStream.WriteAsync(request.WithConnectionClose().ToBytes(), cancellationToken).ConfigureAwait(false);
        await upstreamStream.WriteAsync(overflow, cancellationToken).ConfigureAwait(false);

        // Any request body still to come flows straight through; the connection carries one request only.
        using var requestDone = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var requestBody = PumpAsync(clientStream, upstreamStream, long.MaxValue, requestDone.Token);
        try
        {
            var (response, bodyStart) = await HttpHead.ReadAsync(upstreamStream, cancellationToken).ConfigureAwait(false);
            while (response is not null && IsInterim(response))
            {
                await clientStream.WriteAsync(response.ToBytes(), cancellationToken).ConfigureAwait(false);
                (response, bodyStart) = await HttpHead.ReadAsync(new PrefixedStream(bodyStart, upstreamStream), cancellationToken).ConfigureAwait(false);
            }

            if (response is null)
            {
                throw new IOException("The registry closed the connection without a response.");
            }

            var status = StatusOf(response);
            var drop = status is >= 200 and < 300 ? TakeRule(ProxyFault.Dropped, method, path) : null;
            _requests.Enqueue(new ProxiedRequest(method, target, headers, status, drop is null ? ProxyFault.None : ProxyFault.Dropped));

            await clientStream.WriteAsync(response.WithConnectionClose().ToBytes(), cancellationToken).ConfigureAwait(false);
            var limit = drop?.DropAfterBytes ?? long.MaxValue;
            var fromOverflow = (int)Math.Min(bodyStart.Length, limit);
            await clientStream.WriteAsync(bodyStart.AsMemory(0, fromOverflow), cancellationToken).ConfigureAwait(false);
            await PumpAsync(upstreamStream, clientStream, limit - fromOverflow, cancellationToken).ConfigureAwait(false);
            await clientStream.FlushAsync(cancellationToken).ConfigureAwait(false);

            // A graceful close (FIN), also when dropping: the client then gets exactly the bytes forwarded
            // before EOF, so a resuming client's Range offset is predictable (an RST could discard some).
            client.Client.Shutdown(SocketShutdown.Send);
        }
        finally
        {
            await requestDone.CancelAsync().ConfigureAwait(false);
            try
            {
                await requestBody.ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
            {
                // The request-body pump ends by cancellation once the exchange is over.
            }
        }
    }

    private static async Task PumpAsync(Stream from, Stream to, long limit, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        while (limit > 0)
        {
            var read = await from.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, limit)), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return;
            }

            await to.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            limit -= read;
        }
    }

    private static async Task DrainRequestBodyAsync(Stream clientStream, HttpHead request, byte[] overflow, CancellationToken cancellationToken)
    {
        // Reading what the client sends keeps our close from turning into a reset that could eat the
        // canned response. Only Content-Length bodies are drained; a chunked upload just gets the answer.
        if (!long.TryParse(request["Content-Length"], NumberStyles.None, CultureInfo.InvariantCulture, out var length))
        {
            return;
        }

        await PumpAsync(clientStream, Stream.Null, length - overflow.Length, cancellationToken).ConfigureAwait(false);
    }

    private static async Task WriteCannedResponseAsync(Stream clientStream, FaultRule rule, string method, CancellationToken cancellationToken)
    {
        var head = new StringBuilder();
        var reason = ReasonPhrases.GetReasonPhrase(rule.Status);
        head.Append(CultureInfo.InvariantCulture, $"HTTP/1.1 {rule.Status} {(reason.Length > 0 ? reason : "Unknown")}\r\n");
        foreach (var (name, value) in rule.Headers)
        {
            if (!name.Equals("Connection", StringComparison.OrdinalIgnoreCase))
            {
                head.Append(CultureInfo.InvariantCulture, $"{name}: {value}\r\n");
            }
        }

        if (!rule.Headers.Keys.Any(k => k.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)))
        {
            head.Append(CultureInfo.InvariantCulture, $"Content-Length: {rule.Body.Length}\r\n");
        }

        head.Append("Connection: close\r\n\r\n");
        await clientStream.WriteAsync(Encoding.Latin1.GetBytes(head.ToString()), cancellationToken).ConfigureAwait(false);
        if (!method.Equals("HEAD", StringComparison.OrdinalIgnoreCase))
        {
            await clientStream.WriteAsync(rule.Body, cancellationToken).ConfigureAwait(false);
        }

        await clientStream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private static bool IsInterim(HttpHead response)
    {
        var status = StatusOf(response);
        return status is >= 100 and < 200 and not 101;
    }

    private static int StatusOf(HttpHead response)
    {
        var parts = response.StartLine.Split(' ', 3);
        return parts.Length >= 2 && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var status)
            ? status
            : throw new InvalidDataException($"Malformed status line '{response.StartLine}'.");
    }
}
