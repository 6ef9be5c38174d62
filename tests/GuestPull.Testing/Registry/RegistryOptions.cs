namespace GuestPull.Testing;

/// How <see cref="RegistryInstance.StartAsync"/> sets up docker-registry. At most one of
/// <see cref="HtpasswdUsers"/> and <see cref="TokenAuth"/> may be set (the registry takes one auth method).
public sealed class RegistryOptions
{
    /// Shows up in the temp directory's name and in messages; handy when a test runs several registries.
    public string? Name { get; init; }

    /// Serve HTTPS with a fresh <see cref="TestCertificateAuthority"/>'s server certificate (127.0.0.1, localhost).
    public bool Tls { get; init; }

    /// user → password; enables auth.htpasswd with a bcrypt file made by `htpasswd -Bbn`.
    public IReadOnlyDictionary<string, string>? HtpasswdUsers { get; init; }

    /// Enables auth.token, backed by a <see cref="TokenServer"/> started with these options (HTTPS when <see cref="Tls"/>).
    public TokenServerOptions? TokenAuth { get; init; }

    /// How long to wait for /v2/ to answer.
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);
}
