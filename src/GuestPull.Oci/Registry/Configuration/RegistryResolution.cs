namespace GuestPull.Oci.Registry.Configuration;

/// <summary>Where to pull a repository from, as <see cref="RegistriesConfiguration.Resolve"/> decided.</summary>
public sealed class RegistryResolution
{
    internal RegistryResolution(IReadOnlyList<RegistryEndpoint> endpoints, string? matchedPrefix, string? sourceName)
    {
        Endpoints = endpoints;
        MatchedPrefix = matchedPrefix;
        SourceName = sourceName;
    }

    /// <summary>The endpoints in the order to try them: the mirrors that serve this pull, then the registry (or its configured location).</summary>
    public IReadOnlyList<RegistryEndpoint> Endpoints { get; }

    /// <summary>The registry itself, or the location configured for it: the last endpoint.</summary>
    public RegistryEndpoint Primary => Endpoints[^1];

    /// <summary>The <c>[[registry]]</c> prefix that matched, or <see langword="null"/> when none did.</summary>
    public string? MatchedPrefix { get; }

    /// <summary>The file holding the matching <c>[[registry]]</c>, or <see langword="null"/> when none matched.</summary>
    public string? SourceName { get; }
}
