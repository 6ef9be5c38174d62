namespace GuestPull.Install.Containerd;

/// <summary>
/// Deletes images containerd already holds, through its Images API, before the snapshotter switch:
/// an image unpacked by the old snapshotter would otherwise be "already present" and never pulled
/// through GuestPull. Kata's guest-pull setup asks for the same deletion by hand before switching.
/// </summary>
internal static class HostImagePurger
{
    /// <summary>
    /// Deletes <paramref name="names"/> with their CRI companion records (or every image when null); returns
    /// the names deleted.
    /// </summary>
    public static async Task<IReadOnlyList<string>> PurgeAsync(
        ContainerdClient client, string containerdNamespace, IReadOnlyList<string>? names, CancellationToken cancellationToken)
    {
        var present = await client.ListImageRecordsAsync(containerdNamespace, cancellationToken).ConfigureAwait(false);
        var targets = names is null
            ? present
            : WithCompanions(present, [.. present.Where(image => names.Any(name => Matches(image.Name, name)))]);
        var deleted = new List<string>();
        foreach (var image in targets)
        {
            if (await client.DeleteImageAsync(containerdNamespace, image.Name, cancellationToken).ConfigureAwait(false))
            {
                deleted.Add(image.Name);
            }
        }
        return deleted;
    }

    /// <summary>
    /// CRI records a pulled image three times: its tag, <c>repository@digest</c> and its <c>sha256:</c> ID. While
    /// any of them is left, the image (and its snapshots) stays, so the digest reference of the same repository
    /// goes with a named record, and the ID once no other name is left pointing at the image.
    /// </summary>
    internal static IReadOnlyList<ContainerdImage> WithCompanions(IReadOnlyList<ContainerdImage> present, IReadOnlyList<ContainerdImage> named)
    {
        var result = new List<ContainerdImage>(named);
        foreach (var record in named)
        {
            var digestReference = Repository(record.Name) + "@" + record.TargetDigest;
            result.AddRange(present.Where(other => other.Name == digestReference && other.TargetDigest == record.TargetDigest && !result.Contains(other)));
        }
        foreach (var id in present.Where(record => record.Name.StartsWith("sha256:", StringComparison.Ordinal) && !result.Contains(record)).ToList())
        {
            var sameImage = present.Where(other => other.TargetDigest == id.TargetDigest && other != id).ToList();
            if (sameImage.Any(result.Contains) && sameImage.All(result.Contains))
            {
                result.Add(id);
            }
        }
        return result;
    }

    /// <summary>The reference without its tag or digest: a ':' after the last '/' starts a tag, not a port.</summary>
    public static string Repository(string reference)
    {
        var at = reference.IndexOf('@', StringComparison.Ordinal);
        var name = at < 0 ? reference : reference[..at];
        var colon = name.LastIndexOf(':');
        return colon > name.LastIndexOf('/') ? name[..colon] : name;
    }

    /// <summary>
    /// An exact name, or a short one as a user types it: <c>busybox</c> means <c>docker.io/library/busybox:latest</c>
    /// (CRI stores the normalized name; ctr stores what it was given).
    /// </summary>
    public static bool Matches(string image, string name) => image == name || image == Normalize(name);

    public static string Normalize(string name)
    {
        var reference = name;
        var slash = reference.IndexOf('/', StringComparison.Ordinal);
        var firstPart = slash < 0 ? string.Empty : reference[..slash];
        if (slash < 0 || !(firstPart.Contains('.', StringComparison.Ordinal) || firstPart.Contains(':', StringComparison.Ordinal) || firstPart == "localhost"))
        {
            reference = "docker.io/" + (slash < 0 ? "library/" : string.Empty) + reference;
        }
        var lastPart = reference[(reference.LastIndexOf('/') + 1)..];
        if (!lastPart.Contains(':', StringComparison.Ordinal) && !reference.Contains('@', StringComparison.Ordinal))
        {
            reference += ":latest";
        }
        return reference;
    }
}
