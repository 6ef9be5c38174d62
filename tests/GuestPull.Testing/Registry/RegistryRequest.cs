namespace GuestPull.Testing;

/// One line of docker-registry's access log (Apache combined format on its stdout).
/// <paramref name="Target"/> is the request URI as sent (with any query); <paramref name="Path"/> drops the query.
public sealed record RegistryRequest(string Method, string Target, int Status, long? ResponseBytes, string UserAgent)
{
    public string Path => Target.Split('?', 2)[0];

    /// True for GET /v2/&lt;name&gt;/blobs/&lt;digest&gt; (not upload sessions).
    public bool IsBlobGet => Method == "GET" && BlobDigest is not null;

    /// The digest of a /v2/&lt;name&gt;/blobs/&lt;digest&gt; request, else null.
    public string? BlobDigest
    {
        get
        {
            var path = Path;
            var marker = path.LastIndexOf("/blobs/", StringComparison.Ordinal);
            if (!path.StartsWith("/v2/", StringComparison.Ordinal) || marker < 0)
            {
                return null;
            }

            var digest = path[(marker + "/blobs/".Length)..];
            return digest.Contains(':', StringComparison.Ordinal) && !digest.Contains('/', StringComparison.Ordinal) ? digest : null;
        }
    }
}
