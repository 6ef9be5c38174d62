using System.Net;
using System.Text;
using GuestPull.Oci.Registry.Configuration;
using Microsoft.Extensions.Logging;

namespace GuestPull.Oci.Registry.Auth;

/// <summary>
/// Gets Bearer tokens for one repository on one endpoint from the token server a challenge names (with the
/// endpoint's credentials, only where they may go), through the token cache shared by the client's sessions.
/// </summary>
internal sealed class BearerTokenClient
{
    private const int MaxTokenResponse = 1024 * 1024;

    private readonly RegistryTransport _transport;
    private readonly RegistryCredential? _credential;
    private readonly TokenCache _tokens;
    private readonly ILogger _logger;

    public BearerTokenClient(RegistryTransport transport, RegistryEndpoint endpoint, RegistryCredential? credential, TokenCache tokens, ILogger logger)
    {
        _transport = transport;
        Endpoint = endpoint;
        _credential = credential;
        _tokens = tokens;
        _logger = logger;
    }

    public RegistryEndpoint Endpoint { get; }

    private string PullScope => "repository:" + Endpoint.Repository + ":pull";

    /// <summary>
    /// A token for the pull scope and the scopes of <paramref name="challenge"/>: the cached one, unless
    /// <paramref name="sent"/> (the Authorization just refused) says it is stale.
    /// </summary>
    public async Task<string> GetTokenAsync(AuthChallenge challenge, string? sent, string what, CancellationToken cancellationToken)
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

        // Credentials go to the token server only over HTTPS, or in clear to the very server the
        // registry is (same scheme, host and port): a registry must not be able to send our password
        // in clear text to a server of its choosing, and another port of the same address is another
        // server, one that any local user may have bound.
        var sendCredentials = _credential is not null && (realmUri.Scheme == Uri.UriSchemeHttps || IsRegistryOrigin(realmUri));
        var withheld = _credential is not null && !sendCredentials;
        if (withheld)
        {
            _logger.LogWarning("{What}: not sending credentials to token server {Realm}: it is plain HTTP and not the registry {Host} itself", what, realmUri.Authority, Endpoint.Host);
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
                        request.Headers.TryAddWithoutValidation("Authorization", RepositorySession.BasicHeader(_credential!));
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
                : new RegistryAuthenticationException($"{what}: {Endpoint.Host} requires credentials: token server {realmUri.Authority} refused anonymous access to {string.Join(" ", scopes)}{detail}{(withheld ? WithheldReason(realmUri) : string.Empty)}", response.StatusCode, code);
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

    private string WithheldReason(Uri realm) =>
        $"; the credentials for {Endpoint.Host} were withheld by policy: the token realm {realm.GetLeftPart(UriPartial.Path)} is plain HTTP on another server than the registry (credentials go to a realm only over HTTPS or on the registry's own scheme, host and port)";

    private bool IsRegistryOrigin(Uri realm)
    {
        var registry = new Uri((Endpoint.Insecure ? "http://" : "https://") + Endpoint.Host);
        return string.Equals(realm.Scheme, registry.Scheme, StringComparison.OrdinalIgnoreCase)
            && string.Equals(realm.IdnHost, registry.IdnHost, StringComparison.OrdinalIgnoreCase)
            && realm.Port == registry.Port;
    }
}
