using GuestPull.Configuration;

namespace GuestPull.Oci.Registry.Configuration;

/// <summary>Validation and matching of registries.conf prefixes and locations (<c>host[:port][/path]</c>).</summary>
internal static class RegistryLocation
{
    /// <summary>Validates a location or a non-wildcard prefix and drops trailing slashes.</summary>
    public static string Normalize(string value, TomlSection table, string key)
    {
        if (value.Contains("://", StringComparison.Ordinal))
        {
            throw table.Invalid(key, "a host[:port][/path] without a scheme", value);
        }

        if (value.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            throw table.Invalid(key, "a host[:port][/path] without whitespace or control characters", value);
        }

        if (value.Contains('*', StringComparison.Ordinal))
        {
            throw table.Invalid(key, "a host[:port][/path], or a prefix with '*' only in a leading \"*.\"", value);
        }

        var trimmed = value.TrimEnd('/');
        if (trimmed.Length == 0 || trimmed[0] == '/')
        {
            throw table.Invalid(key, "a host[:port][/path] starting with a host", value);
        }

        if (trimmed.Contains("//", StringComparison.Ordinal))
        {
            throw table.Invalid(key, "a host[:port][/path] without an empty path component", value);
        }

        if (trimmed.Contains('@', StringComparison.Ordinal))
        {
            throw table.Invalid(key, "a host[:port][/path] without a digest", value);
        }

        var slash = trimmed.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0 && trimmed.IndexOf(':', slash) >= 0)
        {
            throw table.Invalid(key, "a host[:port][/path] without a tag", value);
        }

        var host = slash < 0 ? trimmed : trimmed[..slash];
        var colon = host.LastIndexOf(':');
        if (colon >= 0 && !host.EndsWith(']') && !(ushort.TryParse(host[(colon + 1)..], out var port) && port > 0 && host[(colon + 1)..].All(char.IsAsciiDigit)))
        {
            throw table.Invalid(key, "a host[:port][/path] with a port from 1 to 65535", value);
        }

        return trimmed;
    }

    /// <summary>Validates a <c>*.domain</c> prefix.</summary>
    public static string NormalizeWildcard(string value, TomlSection table, string key)
    {
        var domain = value[2..];
        if (domain.Length == 0 || domain[0] == '.' || domain.Any(c => c is '/' or ':' or '@' or '*' || char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            throw table.Invalid(key, "a wildcard like \"*.example.com\" (no port, path, tag or digest)", value);
        }

        return value;
    }

    /// <summary>
    /// How much of <paramref name="reference"/> (<c>host/repository</c>) <paramref name="prefix"/>
    /// covers, or -1. A plain prefix ends at a '/' or the end of the reference; a wildcard covers
    /// the whole host (port included) when the host name is a subdomain of its domain.
    /// </summary>
    public static int Match(string prefix, string reference)
    {
        if (prefix.StartsWith("*.", StringComparison.Ordinal))
        {
            var slash = reference.IndexOf('/', StringComparison.Ordinal);
            var host = slash < 0 ? reference : reference[..slash];
            var colon = host.LastIndexOf(':');
            var name = colon < 0 ? host : host[..colon];
            var suffix = prefix[1..];
            return name.Length > suffix.Length && name.EndsWith(suffix, StringComparison.OrdinalIgnoreCase) ? host.Length : -1;
        }

        if (!reference.StartsWith(prefix, StringComparison.Ordinal))
        {
            return -1;
        }

        return reference.Length == prefix.Length || reference[prefix.Length] == '/' ? prefix.Length : -1;
    }
}
