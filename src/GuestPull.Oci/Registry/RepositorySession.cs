using System.Net;
using System.Net.Http.Headers;
using System.Text;
using GuestPull.Oci.Registry.Auth;
using GuestPull.Oci.Registry.Configuration;
using Microsoft.Extensions.Logging;

namespace GuestPull.Oci.Registry;

/// <summary>
/// Talks to one repository on one endpoint (the registry itself or a mirror): builds URLs, answers
/// 401 challenges (Basic, or Bearer through the token server) with the credentials configured for
/// that endpoint's host only, and keeps the Authorization it earned for later requests.
/// </summary>
internal sealed class RepositorySession
{
    private const int MaxTokenResponse = 1024 * 1024;

    private readonly RegistryTransport _transport;
    private readonly RegistryCredential? _credential;
    private readonly TokenCache _tokens;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _authLock = new(1, 1);
    private volatile string? _authorization;

    public RepositorySession(RegistryTransport transport, RegistryEndpoint endpoint, RegistryCredential? credential, TokenCache tokens, ILogger logger)
    {
        _transport = transport;
        Endpoint = endpoint;
        _credential = credential;
        _tokens = tokens;
        _logger = logger;
        BaseUri = new Uri((endpoint.Insecure ? "http://" : "https://") + endpoint.Host + "/v2/" + endpoint.Repository + "/");
    }

    public RegistryEndpoint Endpoint { get; }

    /// <summary><c>scheme://host/v2/repository/</c>.</summary>
    public Uri BaseUri { get; }

    private string PullScope => "repository:" + Endpoint.Repository + ":pull";

    /// <summary>Sends GET <paramref name="relative"/> (e.g. <c>manifests/latest</c>), authenticating on a 401.</summary>
    public async Task<HttpResponseMessage> GetAsync(string relative, Action<HttpRequestMessage>? configure, string what, CancellationToken cancellationToken)
    {
        var uri = new Uri(BaseUri, relative);
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
                _authorization = "Bearer " + await GetTokenAsync(bearer, sent, what, cancellationToken).ConfigureAwait(false);
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

    private async Task<string> GetTokenAsync(AuthChallenge challenge, string? sent, string what, CancellationToken cancellationToken)
    {
        var realm = challenge.Realm;
        if (string.IsNullOrEmpty(realm) || !Uri.TryCreate(realm, UriKind.Absolute, out var realmUri) || realmUri.Scheme is not ("http" or "https"))
        {
            throw new RegistryAuthenticationException($"{what}: {Endpoint.Host} sent a Bearer challenge without a valid http(s) realm (\"{realm}\")");
        }

        var scopes = new SortedSet<string>(StringComparer.Ordinal) { PullScope };
        if (!string.IsNullOrEmpty(challenge.Scope))
        {
            foreach (var scope in challenge.Scope.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                scopes.Add(scope);
            }
        }

        // Credentials go to the token server only over HTTPS, or to the registry's own host: a
        // registry must not be able to send our password in clear text to a host of its choosing.
        var registryHost = new Uri("http://" + Endpoint.Host).Host;
        var sendCredentials = _credential is not null
            && (realmUri.Scheme == Uri.UriSchemeHttps || string.Equals(realmUri.Host, registryHost, StringComparison.OrdinalIgnoreCase));
        if (_credential is not null && !sendCredentials)
        {
            _logger.LogWarning("{What}: not sending credentials to token server {Realm}: it is neither HTTPS nor on {Host}", what, realmUri.Authority, Endpoint.Host);
        }

        var key = new TokenCacheKey(realm, challenge.Service, scopes, sendCredentials ? _credential : null);
        if (sent is null && _tokens.TryGet(key, out var cached))
        {
            return cached;
        }

        // A token that was sent and refused is stale (expired early, revoked): ask for a new one.
        _tokens.Invalidate(key);
        var query = new StringBuilder();
        if (!string.IsNullOrEmpty(challenge.Service))
        {
            query.Append("service=").Append(Uri.EscapeDataString(challenge.Service));
        }

        foreach (var scope in scopes)
        {
            query.Append(query.Length > 0 ? "&" : string.Empty).Append("scope=").Append(Uri.EscapeDataString(scope));
        }

        var tokenUri = new UriBuilder(realmUri) { Query = string.IsNullOrEmpty(realmUri.Query) ? query.ToString() : realmUri.Query.TrimStart('?') + "&" + query }.Uri;
        var usesRefreshToken = sendCredentials && !string.IsNullOrEmpty(_credential!.IdentityToken);
        using var response = await _transport.SendAsync(
            usesRefreshToken ? realmUri : tokenUri,
            (target, sameOrigin) =>
            {
                HttpRequestMessage request;
                if (usesRefreshToken)
                {
                    request = new HttpRequestMessage(HttpMethod.Post, target)
                    {
                        Content = new FormUrlEncodedContent(new Dictionary<string, string>
                        {
                            ["grant_type"] = "refresh_token",
                            ["refresh_token"] = _credential!.IdentityToken!,
                            ["service"] = challenge.Service ?? string.Empty,
                            ["scope"] = string.Join(' ', scopes),
                            ["client_id"] = "guestpull",
                        }),
                    };
                }
                else
                {
                    request = new HttpRequestMessage(HttpMethod.Get, target);
                    if (sendCredentials && sameOrigin)
                    {
                        request.Headers.TryAddWithoutValidation("Authorization", BasicHeader(_credential!));
                    }
                }

                return request;
            },
            $"{what}: token from {realmUri.Authority}",
            cancellationToken).ConfigureAwait(false);

        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            var (code, summary) = await RegistryErrorBody.ReadAsync(response, cancellationToken).ConfigureAwait(false);
            var detail = summary.Length > 0 ? " (" + summary + ")" : string.Empty;
            throw sendCredentials
                ? new RegistryAuthenticationException($"{what}: token server {realmUri.Authority} rejected the credentials of user \"{_credential!.Username}\" for {string.Join(" ", scopes)}{detail}", response.StatusCode, code)
                : new RegistryAuthenticationException($"{what}: {Endpoint.Host} requires credentials: token server {realmUri.Authority} refused anonymous access to {string.Join(" ", scopes)}{detail}", response.StatusCode, code);
        }

        if (!response.IsSuccessStatusCode)
        {
            var (code, summary) = await RegistryErrorBody.ReadAsync(response, cancellationToken).ConfigureAwait(false);
            throw new RegistryAuthenticationException($"{what}: token server {realmUri.Authority} answered {(int)response.StatusCode} {summary}", response.StatusCode, code);
        }

        ReadOnlyMemory<byte> body;
        try
        {
            body = await BoundedRead.ReadAsync(response.Content, MaxTokenResponse, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidDataException ex)
        {
            throw new RegistryAuthenticationException($"{what}: token response from {realmUri.Authority} is too large: {ex.Message}");
        }

        BearerToken token;
        try
        {
            token = BearerTokenResponse.Parse(body.Span, _transport.Options.TimeProvider.GetUtcNow());
        }
        catch (FormatException ex)
        {
            throw new RegistryAuthenticationException($"{what}: token server {realmUri.Authority} sent an invalid token response: {ex.Message}");
        }

        _tokens.Set(key, token);
        return token.Token;
    }

    private static string BasicHeader(RegistryCredential credential) =>
        "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(credential.Username + ":" + credential.Password));
}
