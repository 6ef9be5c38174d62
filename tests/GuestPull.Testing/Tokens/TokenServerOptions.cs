namespace GuestPull.Testing;

/// How a <see cref="TokenServer"/> authenticates and what it grants.
public sealed class TokenServerOptions
{
    /// user → password, checked against the request's Basic credentials.
    public IReadOnlyDictionary<string, string> Users { get; init; } = new Dictionary<string, string>();

    /// Whether a request without credentials gets a token (granted <see cref="AnonymousActions"/> only).
    public bool AllowAnonymous { get; init; }

    /// The actions an anonymous token may carry; requested actions outside this set are dropped.
    public IReadOnlyList<string> AnonymousActions { get; init; } = ["pull"];

    /// Optional policy: given the user (null when anonymous) and a requested scope, the actions to grant.
    /// Without it, authenticated users get every requested action.
    public Func<string?, TokenScope, IEnumerable<string>>? Grant { get; init; }

    /// The "service" the registry names in its challenge; becomes the token's "aud".
    public string Service { get; init; } = "guestpull-test-registry";

    /// The token's "iss"; the registry's auth.token.issuer must match.
    public string Issuer { get; init; } = "guestpull-test-token-issuer";

    public TokenSigningAlgorithm Algorithm { get; init; } = TokenSigningAlgorithm.ES256;

    /// Lifetime of issued tokens (exp - iat) and the "expires_in" answer. Can be changed later on the server.
    public int ExpiresInSeconds { get; init; } = 300;

    /// When false the answer omits "expires_in", so clients must assume the protocol's 60 s default.
    public bool IncludeExpiresIn { get; init; } = true;
}
