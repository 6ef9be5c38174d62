using System.Net;
using System.Net.Http.Headers;
using System.Text;
using GuestPull.Oci.Registry.Auth;
using GuestPull.Oci.Registry.Configuration;
using Microsoft.Extensions.Logging;

namespace GuestPull.Oci.Registry;

/// <summary>
/// Talks to one repository on one endpoint (the registry itself or a mirror): builds URLs, answers
/// 401 challenges (Basic, or Bearer through <see cref="BearerTokenClient"/>) with the credentials configured for
/// that endpoint's host only, and keeps the Authorization it earned for later requests.
/// </summary>
internal sealed class RepositorySession
{
    private readonly RegistryTransport _transport;
    private readonly RegistryCredential? _credential;
    private readonly BearerTokenClient _bearerTokens;
    private readonly PlainHttpFallback _fallback;
    private readonly ILogger _logger;
    private readonly Uri _configuredBase;
    private readonly Uri _plainBase;
    private readonly SemaphoreSlim _authLock = new(1, 1);
    private volatile string? _authorization;

    public RepositorySession(
        RegistryTransport transport, RegistryEndpoint endpoint, RegistryCredential? credential, TokenCache tokens, PlainHttpFallback fallback, ILogger logger)
    {
        _transport = transport;
        Endpoint = endpoint;
        _credential = credential;
        _fallback = fallback;
        _logger = logger;
        _bearerTokens = new BearerTokenClient(transport, endpoint, credential, tokens, logger);
        _plainBase = new Uri("http://" + endpoint.Host + "/v2/" + endpoint.Repository + "/");
        _configuredBase = endpoint.Insecure ? _plainBase : new Uri("https://" + endpoint.Host + "/v2/" + endpoint.Repository + "/");
    }

    public RegistryEndpoint Endpoint { get; }

    /// <summary><c>scheme://host/v2/repository/</c>: HTTPS unless the endpoint is insecure or turned out to speak plain HTTP.</summary>
    public Uri BaseUri => _fallback.SpeaksPlainHttp(Endpoint.Host) ? _plainBase : _configuredBase;

    /// <summary>
    /// Sends GET <paramref name="relative"/> (e.g. <c>manifests/latest</c>), authenticating on a 401. A
    /// loopback endpoint that may fall back (<see cref="RegistryEndpoint.HttpFallback"/>) and fails the TLS
    /// handshake is asked again over plain HTTP, and keeps HTTP when it answers there.
    /// </summary>
    public async Task<HttpResponseMessage> GetAsync(string relative, Action<HttpRequestMessage>? configure, string what, CancellationToken cancellationToken)
    {
        var baseUri = BaseUri;
        try
        {
            return await GetAsync(baseUri, relative, configure, what, cancellationToken).ConfigureAwait(false);
        }
        catch (RegistryException ex) when (baseUri == _configuredBase && baseUri.Scheme == Uri.UriSchemeHttps && IsTlsFailure(ex) && _fallback.Allows(Endpoint))
        {
            if (await _fallback.PresentsCertificateAsync(Endpoint.Host, cancellationToken).ConfigureAwait(false) ||
                !await AnswersPlainHttpAsync(cancellationToken).ConfigureAwait(false))
            {
                throw;
            }

            _fallback.Remember(Endpoint.Host);
            _logger.LogInformation("{Host} is a loopback registry that speaks plain HTTP, not TLS: using http:// for it", Endpoint.Host);
            return await GetAsync(_plainBase, relative, configure, what, cancellationToken).ConfigureAwait(false);
        }
    }

    private static bool IsTlsFailure(RegistryException ex) =>
        ex.InnerException is HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError };

    /// <summary>
    /// Whether the registry answers the API's base <c>GET /v2/</c> over plain HTTP with any HTTP response
    /// (200, or 401 when it wants credentials): with no certificate in its TLS handshake, proof that it
    /// speaks HTTP where TLS failed.
    /// </summary>
    private async Task<bool> AnswersPlainHttpAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _transport.SendAsync(
                new Uri(_plainBase, "/v2/"), (target, _) => new HttpRequestMessage(HttpMethod.Get, target), $"probe {Endpoint.Host} over plain HTTP", cancellationToken)
                .ConfigureAwait(false);
            return true;
        }
        catch (RegistryException)
        {
            return false;
        }
    }

    private async Task<HttpResponseMessage> GetAsync(Uri baseUri, string relative, Action<HttpRequestMessage>? configure, string what, CancellationToken cancellationToken)
    {
        var uri = new Uri(baseUri, relative);
        var authenticated = false;
        while (true)
        {
            var sent = _authorization;
            var response = await _transport.SendAsync(
                uri,
                (target, sameOrigin) =>
                {
                    var request = new HttpRequestMessage(HttpMethod.Get, target);
                    configure?.Invoke(request);
                    if (sameOrigin && sent is not null)
                    {
                        request.Headers.TryAddWithoutValidation("Authorization", sent);
                    }

                    return request;
                },
                what,
                cancellationToken).ConfigureAwait(false);

            if (response.StatusCode != HttpStatusCode.Unauthorized)
            {
                return response;
            }

            using (response)
            {
                if (response.RequestMessage?.RequestUri is { } answered && !RegistryTransport.SameOrigin(uri, answered))
                {
                    throw WithheldAcrossRedirect(uri, answered, what, response.StatusCode);
                }

                if (authenticated)
                {
                    var (code, summary) = await RegistryErrorBody.ReadAsync(response, cancellationToken).ConfigureAwait(false);
                    if (sent is not null && sent.StartsWith("Basic ", StringComparison.Ordinal))
                    {
                        throw new RegistryAuthenticationException($"{what}: {Endpoint.Host} rejected the password of user \"{_credential!.Username}\"", response.StatusCode, code);
                    }

                    var who = _credential is null ? "anonymous access" : $"user \"{_credential.Username}\"";
                    throw new RegistryAuthenticationException($"{what}: {Endpoint.Host} denied {who} to {Endpoint.Repository}{(summary.Length > 0 ? " (" + summary + ")" : string.Empty)}", response.StatusCode, code);
                }

                await AuthenticateAsync(response, sent, what, cancellationToken).ConfigureAwait(false);
                authenticated = true;
            }
        }
    }

    private async Task AuthenticateAsync(HttpResponseMessage response, string? sent, string what, CancellationToken cancellationToken)
    {
        var header = response.Headers.TryGetValues("WWW-Authenticate", out var values) ? string.Join(", ", values) : null;
        if (string.IsNullOrWhiteSpace(header))
        {
            throw new RegistryAuthenticationException($"{what}: {Endpoint.Host} answered 401 without a WWW-Authenticate challenge");
        }

        IReadOnlyList<AuthChallenge> challenges;
        try
        {
            challenges = AuthChallenge.Parse(header);
        }
        catch (FormatException ex)
        {
            throw new RegistryAuthenticationException($"{what}: {Endpoint.Host} sent a malformed WWW-Authenticate header: {ex.Message}");
        }

        await _authLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_authorization != sent)
            {
                return; // Another request already earned a new Authorization while we waited.
            }

            var bearer = challenges.FirstOrDefault(c => string.Equals(c.Scheme, "Bearer", StringComparison.OrdinalIgnoreCase));
            if (bearer is not null)
            {
                _authorization = "Bearer " + await _bearerTokens.GetTokenAsync(bearer, sent, what, cancellationToken).ConfigureAwait(false);
                return;
            }

            if (challenges.Any(c => string.Equals(c.Scheme, "Basic", StringComparison.OrdinalIgnoreCase)))
            {
                if (_credential is null)
                {
                    throw new RegistryAuthenticationException($"{what}: {Endpoint.Host} requires authentication and no credentials are configured for it (use --creds or an auth file with an entry for {Endpoint.Host})");
                }

                var basic = BasicHeader(_credential);
                if (sent == basic)
                {
                    throw new RegistryAuthenticationException($"{what}: {Endpoint.Host} rejected the password of user \"{_credential.Username}\"");
                }

                _authorization = basic;
                return;
            }

            throw new RegistryAuthenticationException($"{what}: {Endpoint.Host} asks for an unsupported authentication scheme ({string.Join(", ", challenges.Select(c => c.Scheme))})");
        }
        finally
        {
            _authLock.Release();
        }
    }

    // A 401 from where a redirect led: our Authorization never went there, so neither the password nor
    // the registry is to blame. Answering the challenge would mean sending credentials off-origin.
    private RegistryAuthenticationException WithheldAcrossRedirect(Uri asked, Uri answered, string what, HttpStatusCode status)
    {
        var from = asked.GetLeftPart(UriPartial.Authority);
        var to = answered.GetLeftPart(UriPartial.Authority);
        return _credential is null
            ? new RegistryAuthenticationException($"{what}: {Endpoint.Host} redirected to {to}, which asks for credentials; none are configured, and credentials never follow a redirect that leaves the registry's origin ({from})", status)
            : new RegistryAuthenticationException($"{what}: {Endpoint.Host} redirected to {to}, which asks for credentials; the credentials of user \"{_credential.Username}\" were withheld by policy because the redirect left the registry's origin ({from} → {to})", status);
    }

    /// <summary>The Basic Authorization header value for <paramref name="credential"/>.</summary>
    internal static string BasicHeader(RegistryCredential credential) =>
        "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(credential.Username + ":" + credential.Password));
}
