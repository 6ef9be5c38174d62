namespace GuestPull.Testing;

/// A request the <see cref="TokenServer"/> answered, for assertions about clients' token caching and scopes.
/// <paramref name="User"/> is the Basic user name sent (null when anonymous), whether or not it authenticated.
public sealed record TokenRequest(
    DateTimeOffset Time,
    string Method,
    string? User,
    bool Authenticated,
    string? Service,
    IReadOnlyList<string> Scopes,
    int StatusCode,
    IReadOnlyList<TokenScope> Granted);
