using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace GuestPull.Testing;

/// A Docker token-protocol server (GET /token?service=..&amp;scope=..) on 127.0.0.1, issuing JWTs that
/// docker-registry 2.8 accepts. It records every request so tests can assert how clients cache tokens.
public sealed class TokenServer : IAsyncDisposable
{
    private const string BasicRealm = "Basic realm=\"guestpull-test-token-server\"";

    private readonly WebApplication _app;
    private readonly TokenServerOptions _options;
    private readonly ConcurrentQueue<TokenRequest> _requests = new();
    private int _expiresInSeconds;

    private TokenServer(WebApplication app, TokenServerOptions options, TokenIssuerCredentials issuer, string rootCertificateBundlePath)
    {
        _app = app;
        _options = options;
        _expiresInSeconds = options.ExpiresInSeconds;
        IssuerCredentials = issuer;
        RootCertificateBundlePath = rootCertificateBundlePath;
    }

    /// The realm to put in auth.token.realm: http(s)://127.0.0.1:PORT/token.
    public Uri Realm { get; private set; } = null!;

    public string Service => _options.Service;

    public string Issuer => _options.Issuer;

    /// The CA that issued the signing certificate: auth.token.rootcertbundle.
    public string RootCertificateBundlePath { get; }

    public TokenIssuerCredentials IssuerCredentials { get; }

    public IReadOnlyDictionary<string, string> Users => _options.Users;

    /// Lifetime of tokens issued from now on.
    public int ExpiresInSeconds
    {
        get => Volatile.Read(ref _expiresInSeconds);
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            Volatile.Write(ref _expiresInSeconds, value);
        }
    }

    public IReadOnlyList<TokenRequest> Requests => [.. _requests];

    public int RequestCount => _requests.Count;

    /// Requests answered with a token.
    public int IssuedCount => _requests.Count(r => r.StatusCode == StatusCodes.Status200OK);

    public void ClearRequests() => _requests.Clear();

    /// Starts the server on a free loopback port. The signing certificate is issued by <paramref name="authority"/>
    /// (whose ca.crt is the registry's rootcertbundle); with <paramref name="useTls"/> the server also serves
    /// HTTPS with the authority's server certificate.
    public static async Task<TokenServer> StartAsync(
        TokenServerOptions options,
        TestCertificateAuthority authority,
        bool useTls,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(authority);
        if (options.ExpiresInSeconds <= 0)
        {
            throw new ArgumentException($"TokenServerOptions.ExpiresInSeconds must be positive, not {options.ExpiresInSeconds}.", nameof(options));
        }

        if (options.Users.Keys.Any(user => user.Length == 0 || user.Contains(':', StringComparison.Ordinal)))
        {
            throw new ArgumentException("Token server user names must be non-empty and must not contain ':'.", nameof(options));
        }

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            if (useTls)
            {
                listen.UseHttps(authority.ServerCertificate);
            }
        }));
        var app = builder.Build();
        var issuer = authority.CreateTokenIssuer(options.Algorithm);
        var server = new TokenServer(app, options, issuer, authority.CaCertificatePath);
        app.Run(server.HandleAsync);
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        var address = new Uri(app.Urls.Single());
        server.Realm = new Uri($"{(useTls ? "https" : "http")}://127.0.0.1:{address.Port}/token");
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        IssuerCredentials.Dispose();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var response = context.Response;
        if (request.Path != "/token")
        {
            response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        var service = request.Query["service"].FirstOrDefault();
        var scopes = request.Query["scope"]
            .SelectMany(value => (value ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .ToList();
        var (user, password) = ParseBasic(request.Headers.Authorization.ToString());
        var authenticated = user is not null && _options.Users.TryGetValue(user, out var expected) && expected == password;

        void Record(int status, IReadOnlyList<TokenScope> granted) =>
            _requests.Enqueue(new TokenRequest(DateTimeOffset.UtcNow, request.Method, user, authenticated, service, scopes, status, granted));

        if (!HttpMethods.IsGet(request.Method))
        {
            Record(StatusCodes.Status405MethodNotAllowed, []);
            await WriteErrorAsync(response, StatusCodes.Status405MethodNotAllowed, "UNSUPPORTED", "only GET /token is implemented").ConfigureAwait(false);
            return;
        }

        if (user is not null && !authenticated)
        {
            Record(StatusCodes.Status401Unauthorized, []);
            response.Headers.WWWAuthenticate = BasicRealm;
            await WriteErrorAsync(response, StatusCodes.Status401Unauthorized, "UNAUTHORIZED", "invalid username or password").ConfigureAwait(false);
            return;
        }

        if (user is null && !_options.AllowAnonymous)
        {
            Record(StatusCodes.Status401Unauthorized, []);
            response.Headers.WWWAuthenticate = BasicRealm;
            await WriteErrorAsync(response, StatusCodes.Status401Unauthorized, "UNAUTHORIZED", "authentication required").ConfigureAwait(false);
            return;
        }

        if (service != _options.Service)
        {
            Record(StatusCodes.Status400BadRequest, []);
            await WriteErrorAsync(response, StatusCodes.Status400BadRequest, "DENIED", $"unknown service '{service}'").ConfigureAwait(false);
            return;
        }

        List<TokenScope> granted;
        try
        {
            granted = [.. scopes.Select(TokenScope.Parse).Select(scope => GrantFor(authenticated ? user : null, scope)).Where(scope => scope.Actions.Count > 0)];
        }
        catch (FormatException e)
        {
            Record(StatusCodes.Status400BadRequest, []);
            await WriteErrorAsync(response, StatusCodes.Status400BadRequest, "INVALID_SCOPE", e.Message).ConfigureAwait(false);
            return;
        }

        var now = DateTimeOffset.UtcNow;
        var lifetime = ExpiresInSeconds;
        var token = RegistryJwt.Create(IssuerCredentials, _options.Issuer, _options.Service, user ?? string.Empty, granted, now, TimeSpan.FromSeconds(lifetime));
        Record(StatusCodes.Status200OK, granted);

        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json";
        using var body = new MemoryStream();
        using (var writer = new Utf8JsonWriter(body))
        {
            writer.WriteStartObject();
            writer.WriteString("token", token);
            writer.WriteString("access_token", token);
            if (_options.IncludeExpiresIn)
            {
                writer.WriteNumber("expires_in", lifetime);
            }

            writer.WriteString("issued_at", now.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture));
            writer.WriteEndObject();
        }

        await response.Body.WriteAsync(body.ToArray(), context.RequestAborted).ConfigureAwait(false);
    }

    private TokenScope GrantFor(string? user, TokenScope requested)
    {
        IEnumerable<string> actions;
        if (_options.Grant is not null)
        {
            actions = _options.Grant(user, requested);
        }
        else if (user is null)
        {
            actions = requested.Actions.Where(_options.AnonymousActions.Contains);
        }
        else
        {
            actions = requested.Actions;
        }

        return requested with { Actions = [.. actions.Distinct(StringComparer.Ordinal)] };
    }

    private static (string? User, string? Password) ParseBasic(string header)
    {
        if (!AuthenticationHeaderValue.TryParse(header, out var value) ||
            !string.Equals(value.Scheme, "Basic", StringComparison.OrdinalIgnoreCase) ||
            value.Parameter is null)
        {
            return (null, null);
        }

        try
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(value.Parameter));
            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            return colon < 0 ? (decoded, string.Empty) : (decoded[..colon], decoded[(colon + 1)..]);
        }
        catch (FormatException)
        {
            // Garbage credentials count as a wrong password, not as anonymous.
            return (string.Empty, null);
        }
    }

    private static async Task WriteErrorAsync(HttpResponse response, int status, string code, string message)
    {
        response.StatusCode = status;
        response.ContentType = "application/json";
        var body = JsonSerializer.SerializeToUtf8Bytes(new { errors = new[] { new { code, message } } });
        await response.Body.WriteAsync(body).ConfigureAwait(false);
    }
}
