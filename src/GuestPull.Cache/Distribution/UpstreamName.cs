using GuestPull.Oci.Model;

namespace GuestPull.Cache.Distribution;

/// <summary>
/// Finds the registry a request is for, the two ways mirrors name it: containerd's <c>ns</c> query
/// parameter (hosts.toml mirrors, Spegel), or the first component of the repository name when it
/// looks like a registry host (a registries.conf mirror location such as
/// <c>127.0.0.1:5050/registry.example.com</c>).
/// </summary>
internal static class UpstreamName
{
    /// <summary>The upstream repository, or an error message naming what is missing or malformed.</summary>
    public static (ImageReference? Repository, string? Error) Resolve(string name, string? ns)
    {
        string registry;
        string repository;
        if (!string.IsNullOrEmpty(ns))
        {
            registry = ns;
            repository = name;
        }
        else
        {
            var slash = name.IndexOf('/', StringComparison.Ordinal);
            var first = slash < 0 ? name : name[..slash];
            if (slash < 0 || !LooksLikeHost(first))
            {
                return (null, $"repository \"{name}\" does not name its registry: use the mirror location HOST:PORT/REGISTRY or the ns query parameter");
            }

            registry = first;
            repository = name[(slash + 1)..];
        }

        if (!LooksLikeHost(registry) || registry.Contains('/', StringComparison.Ordinal) || !HasValidPort(registry))
        {
            return (null, $"\"{registry}\" is not a registry host (HOST or HOST:PORT with a port from 1 to 65535)");
        }

        return ImageReference.TryParse(registry + "/" + repository, out var parsed) && parsed is not null && !parsed.IsShortName
            ? (parsed, null)
            : (null, $"\"{registry}/{repository}\" is not a valid repository name");
    }

    // A registry on a port (registry.example.com:5000, [::1]:5000) names it in full: the port must be one.
    private static bool HasValidPort(string registry)
    {
        var colon = registry.LastIndexOf(':');
        if (colon < 0 || registry.EndsWith(']'))
        {
            return true;
        }

        var port = registry[(colon + 1)..];
        return port.Length is > 0 and <= 5 && port.All(char.IsAsciiDigit) && int.Parse(port, System.Globalization.CultureInfo.InvariantCulture) is > 0 and <= 65535;
    }

    // The rule Docker uses to tell a registry from a first path component: a dot, a port, or localhost.
    private static bool LooksLikeHost(string component) =>
        component.Contains('.', StringComparison.Ordinal) || component.Contains(':', StringComparison.Ordinal) || component == "localhost";
}
