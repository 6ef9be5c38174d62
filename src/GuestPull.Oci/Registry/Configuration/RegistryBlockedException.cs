namespace GuestPull.Oci.Registry.Configuration;

/// <summary>A pull was refused because registries.conf marks the registry <c>blocked</c>.</summary>
public sealed class RegistryBlockedException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="reference">The repository asked for, <c>host/repository</c>.</param>
    /// <param name="prefix">The <c>[[registry]]</c> prefix that blocks it.</param>
    /// <param name="sourceName">The file that says so.</param>
    public RegistryBlockedException(string reference, string prefix, string sourceName)
        : base($"Registry '{reference}' is blocked by [[registry]] prefix '{prefix}' in {sourceName}.")
    {
        Reference = reference;
        Prefix = prefix;
        SourceName = sourceName;
    }

    /// <summary>The repository asked for, <c>host/repository</c>.</summary>
    public string Reference { get; }

    /// <summary>The <c>[[registry]]</c> prefix that blocks it.</summary>
    public string Prefix { get; }

    /// <summary>The configuration file that blocks it.</summary>
    public string SourceName { get; }
}
