namespace GuestPull.Testing;

/// Where and how a client reaches a registry: a <see cref="RegistryInstance"/> directly, or a
/// <see cref="FaultProxy"/> in front of one. <see cref="TrustDirectory"/> holds only the CA (for --cert-dir).
public sealed record RegistryEndpoint(string Host, bool Tls, string? TrustDirectory, RegistryCredentials? DefaultCredentials)
{
    public Uri BaseUri => new($"{(Tls ? "https" : "http")}://{Host}/");
}
