using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.Logging;

namespace GuestPull.Oci.Registry;

/// <summary>
/// HTTP for registries: one connection pool, TLS trust, redirects followed by hand so that
/// credentials never cross to another origin, retries with backoff on 5xx, 429, time-outs
/// and dropped connections, and optionally loopback registries reached through a gateway.
/// </summary>
internal sealed class RegistryTransport : IDisposable
{
    private const int MaxRedirects = 10;

    private readonly HttpClient _http;
    private readonly RegistryClientOptions _options;
    private readonly ILogger _logger;

    public RegistryTransport(RegistryClientOptions options, ILogger logger)
    {
        _options = options;
        _logger = logger;
        var trust = new CertificateTrust(options.CaFile, options.CertificateDirectories);
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ConnectTimeout = options.RequestTimeout,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            MaxConnectionsPerServer = 16,
        };
        if (options.LoopbackGateway is { } gateway)
        {
            // Only with a gateway: otherwise the handler's own connect stays in charge, unchanged.
            handler.ConnectCallback = new LoopbackDialer(gateway).ConnectAsync;
        }

        handler.SslOptions.RemoteCertificateValidationCallback = (sender, certificate, chain, errors) =>
        {
            var host = sender is HttpRequestMessage request && request.RequestUri is { } uri ? uri.Authority : string.Empty;
            return trust.Validate(host, certificate, chain, errors);
        };
        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd(options.UserAgent);
    }

    public RegistryClientOptions Options => _options;

    /// <summary>
    /// Sends a request built by <paramref name="build"/>, following redirects and retrying transient
    /// failures. <paramref name="build"/> is told whether the URL is still on the original origin, so
    /// it adds credentials only there. Returns the final response with headers read; the body is
    /// the caller's to read and dispose.
    /// </summary>
    public async Task<HttpResponseMessage> SendAsync(Uri uri, Func<Uri, bool, HttpRequestMessage> build, string what, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            HttpResponseMessage response;
            try
            {
                response = await SendFollowingRedirectsAsync(uri, build, what, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsTransient(ex, cancellationToken))
            {
                var error = Describe(ex, uri);
                if (attempt >= _options.MaxAttempts)
                {
                    throw new RegistryException($"{what}: {error} (gave up after {attempt} attempts)", innerException: ex);
                }

                var delay = RetryDelay.Compute(attempt, _options.RetryBaseDelay, _options.RetryMaxDelay, null, _options.TimeProvider.GetUtcNow());
                _logger.LogWarning("{What}: {Error}; retrying in {DelayMs} ms (attempt {Attempt} of {MaxAttempts})", what, error, (int)delay.TotalMilliseconds, attempt + 1, _options.MaxAttempts);
                await Task.Delay(delay, _options.TimeProvider, cancellationToken).ConfigureAwait(false);
                continue;
            }
            catch (HttpRequestException ex)
            {
                throw new RegistryException($"{what}: {Describe(ex, uri)}", innerException: ex);
            }

            var status = (int)response.StatusCode;
            if ((status >= 500 || response.StatusCode == HttpStatusCode.TooManyRequests) && attempt < _options.MaxAttempts)
            {
                var delay = RetryDelay.Compute(attempt, _options.RetryBaseDelay, _options.RetryMaxDelay, response.Headers.RetryAfter, _options.TimeProvider.GetUtcNow());
                _logger.LogWarning("{What}: {Host} answered {Status}; retrying in {DelayMs} ms (attempt {Attempt} of {MaxAttempts})", what, uri.Authority, status, (int)delay.TotalMilliseconds, attempt + 1, _options.MaxAttempts);
                response.Dispose();
                await Task.Delay(delay, _options.TimeProvider, cancellationToken).ConfigureAwait(false);
                continue;
            }

            return response;
        }
    }

    /// <summary>Whether an exception from sending or reading is worth another attempt.</summary>
    public static bool IsTransient(Exception ex, CancellationToken cancellationToken) => ex switch
    {
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        HttpRequestException http => http.HttpRequestError is not (HttpRequestError.SecureConnectionError or HttpRequestError.ConfigurationLimitExceeded or HttpRequestError.UserAuthenticationError or HttpRequestError.NameResolutionError),
        IOException => true,
        _ => false,
    };

    /// <summary>A short description of a transport failure for error messages.</summary>
    public string Describe(Exception ex, Uri uri) => ex switch
    {
        OperationCanceledException => $"no answer from {uri.Authority} within {_options.RequestTimeout.TotalSeconds:0} s",
        HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError } => $"TLS connection to {uri.Authority} failed: {Innermost(ex)} (for a private CA use --tls-ca-file; for plain HTTP use --insecure-registry {uri.Authority})",
        HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError } => $"cannot connect to {uri.Authority}: {Innermost(ex)}",
        _ => $"connection to {uri.Authority} failed: {Innermost(ex)}",
    };

    public void Dispose() => _http.Dispose();

    private static string Innermost(Exception ex)
    {
        while (ex.InnerException is not null)
        {
            ex = ex.InnerException;
        }

        return ex.Message;
    }

    private static bool IsRedirect(HttpStatusCode status) => status is HttpStatusCode.MovedPermanently or HttpStatusCode.Found
        or HttpStatusCode.SeeOther or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect;

    /// <summary>Whether two URLs share scheme, host and port.</summary>
    internal static bool SameOrigin(Uri a, Uri b) =>
        string.Equals(a.Scheme, b.Scheme, StringComparison.OrdinalIgnoreCase) && string.Equals(a.Host, b.Host, StringComparison.OrdinalIgnoreCase) && a.Port == b.Port;

    private async Task<HttpResponseMessage> SendFollowingRedirectsAsync(Uri uri, Func<Uri, bool, HttpRequestMessage> build, string what, CancellationToken cancellationToken)
    {
        var current = uri;
        var sameOrigin = true;
        for (var hop = 0; hop <= MaxRedirects; hop++)
        {
            using var request = build(current, sameOrigin);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.RequestTimeout);
            var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            if (!IsRedirect(response.StatusCode))
            {
                return response;
            }

            var location = response.Headers.Location;
            response.Dispose();
            if (location is null)
            {
                throw new RegistryException($"{what}: {current.Authority} sent a redirect without a Location");
            }

            var next = location.IsAbsoluteUri ? location : new Uri(current, location);
            if (next.Scheme is not ("http" or "https"))
            {
                throw new RegistryException($"{what}: refusing a redirect to a {next.Scheme} URL");
            }

            if (current.Scheme == Uri.UriSchemeHttps && next.Scheme != Uri.UriSchemeHttps)
            {
                throw new RegistryException($"{what}: refusing a redirect from HTTPS to plain HTTP ({next.Authority})");
            }

            // Credentials were configured for the registry's origin only; once a redirect leaves it
            // (blob storage, a CDN), no Authorization header goes out again on this chain.
            sameOrigin = sameOrigin && SameOrigin(uri, next);
            _logger.LogDebug("{What}: redirected to {Host}", what, next.Authority);
            current = next;
        }

        throw new RegistryException($"{what}: more than {MaxRedirects} redirects");
    }
}
