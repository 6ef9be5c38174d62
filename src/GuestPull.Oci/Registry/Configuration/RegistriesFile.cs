namespace GuestPull.Oci.Registry.Configuration;

/// <summary>What one registries.conf file says; <see langword="null"/> settings were absent.</summary>
internal sealed record RegistriesFile(
    IReadOnlyList<string>? UnqualifiedSearchRegistries,
    string? ShortNameMode,
    IReadOnlyList<RegistryRule> Registries,
    IReadOnlyList<string> Warnings);
