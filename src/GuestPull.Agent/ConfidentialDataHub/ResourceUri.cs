namespace GuestPull.Agent.ConfidentialDataHub;

/// <summary>
/// The resource URIs image-rs's settings take: <c>file:///absolute/path</c>, read from the guest's own
/// file system, and <c>kbs:///repository/type/tag</c>, fetched from a key broker after attestation,
/// which this image service does not do.
/// </summary>
internal static class ResourceUri
{
    private const string FileScheme = "file://";
    private const string KbsScheme = "kbs://";

    /// <summary>Whether <paramref name="uri"/> names a key-broker resource.</summary>
    public static bool IsKbs(string uri) => uri.StartsWith(KbsScheme, StringComparison.Ordinal);

    /// <summary>
    /// The path of a <c>file://</c> URI, or null with <paramref name="problem"/> set. Only the empty host
    /// is allowed (<c>file:///etc/x</c>): <c>file://etc/x</c> would silently name a host.
    /// </summary>
    public static string? TryFilePath(string uri, out string problem)
    {
        problem = string.Empty;
        if (!uri.StartsWith(FileScheme + "/", StringComparison.Ordinal))
        {
            problem = $"\"{uri}\" is not a file:///PATH or kbs:///PATH URI";
            return null;
        }

        var path = Uri.UnescapeDataString(uri[FileScheme.Length..]);
        if (path.Contains('\0', StringComparison.Ordinal) || path.Split('/').Contains(".."))
        {
            problem = $"\"{uri}\" must name an absolute path without '..'";
            return null;
        }

        return path;
    }
}
