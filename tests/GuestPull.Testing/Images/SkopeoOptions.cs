namespace GuestPull.Testing;

/// Settings for <see cref="Skopeo"/>'s registry reads.
public sealed class SkopeoOptions
{
    /// Null uses the registry's <see cref="RegistryEndpoint.DefaultCredentials"/> unless <see cref="Anonymous"/>.
    public RegistryCredentials? Credentials { get; init; }

    public bool Anonymous { get; init; }

    /// When false, a TLS registry is contacted without its CA (expect a certificate error).
    public bool TrustRegistryCa { get; init; } = true;

    /// Platform selection for indexes (skopeo --override-arch / --override-os / --override-variant).
    public string? Architecture { get; init; }

    public string? Os { get; init; }

    public string? Variant { get; init; }

    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(3);
}
