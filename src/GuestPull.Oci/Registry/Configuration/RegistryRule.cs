namespace GuestPull.Oci.Registry.Configuration;

/// <summary>One <c>[[registry]]</c> table, validated.</summary>
/// <param name="Prefix">The references it applies to: <c>host[:port][/path]</c> or <c>*.domain</c>.</param>
/// <param name="Location">Where those references are pulled from; <see langword="null"/> only for a wildcard prefix without one (pull from the original host).</param>
/// <param name="Insecure">Plain HTTP or unverified TLS allowed for the location; <see langword="null"/> when the table does not say.</param>
/// <param name="Blocked">Pulls matching the prefix are refused.</param>
/// <param name="Mirrors">Mirrors in the order they are tried.</param>
/// <param name="SourceName">The file that defined the rule.</param>
/// <param name="Index">The rule's 1-based position among the file's <c>[[registry]]</c> tables.</param>
internal sealed record RegistryRule(
    string Prefix,
    string? Location,
    bool? Insecure,
    bool Blocked,
    IReadOnlyList<RegistryMirror> Mirrors,
    string SourceName,
    int Index)
{
    public bool IsWildcard => Prefix.StartsWith("*.", StringComparison.Ordinal);

    public string Describe() => $"{SourceName}: [[registry]] #{Index} (prefix '{Prefix}')";
}
