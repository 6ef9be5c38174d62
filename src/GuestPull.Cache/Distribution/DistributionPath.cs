namespace GuestPull.Cache.Distribution;

/// <summary>
/// A request path of the OCI distribution read API, split into the repository name and what is
/// asked of it. The name is everything between <c>/v2/</c> and the last <c>/blobs/</c> or
/// <c>/manifests/</c>, so it may hold slashes (and, for a mirror location that carries the
/// upstream, a registry host as its first component).
/// </summary>
/// <param name="Kind">What is asked for.</param>
/// <param name="Name">The repository name; empty for <see cref="RequestKind.ApiBase"/>.</param>
/// <param name="Reference">The digest or tag after <c>blobs/</c> or <c>manifests/</c>; empty otherwise.</param>
internal sealed record DistributionPath(RequestKind Kind, string Name, string Reference)
{
    private const string Prefix = "/v2/";

    /// <summary>Splits <paramref name="path"/>; null when it is not under <c>/v2/</c> at all.</summary>
    public static DistributionPath? Parse(string path)
    {
        if (path is "/v2" or Prefix)
        {
            return new DistributionPath(RequestKind.ApiBase, string.Empty, string.Empty);
        }

        if (!path.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var rest = path[Prefix.Length..];
        foreach (var (marker, kind) in new[] { ("/blobs/", RequestKind.Blob), ("/manifests/", RequestKind.Manifest) })
        {
            var at = rest.LastIndexOf(marker, StringComparison.Ordinal);
            if (at > 0)
            {
                var reference = rest[(at + marker.Length)..];
                if (reference.Length > 0 && !reference.Contains('/', StringComparison.Ordinal))
                {
                    return new DistributionPath(kind, rest[..at], reference);
                }
            }
        }

        return new DistributionPath(RequestKind.Unsupported, string.Empty, string.Empty);
    }
}
