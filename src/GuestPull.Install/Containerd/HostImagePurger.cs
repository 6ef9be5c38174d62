namespace GuestPull.Install.Containerd;

/// <summary>
/// Deletes images containerd already holds, through its Images API, before the snapshotter switch:
/// an image unpacked by the old snapshotter would otherwise be "already present" and never pulled
/// through GuestPull. Kata's guest-pull setup asks for the same deletion by hand before switching.
/// </summary>
internal static class HostImagePurger
{
    /// <summary>Deletes <paramref name="names"/> (or every image when null); returns the names deleted.</summary>
    public static async Task<IReadOnlyList<string>> PurgeAsync(
        ContainerdClient client, string containerdNamespace, IReadOnlyList<string>? names, CancellationToken cancellationToken)
    {
        var present = await client.ListImagesAsync(containerdNamespace, cancellationToken).ConfigureAwait(false);
        var targets = names is null
            ? present
            : [.. present.Where(image => names.Any(name => Matches(image, name)))];
        var deleted = new List<string>();
        foreach (var image in targets)
        {
            if (await client.DeleteImageAsync(containerdNamespace, image, cancellationToken).ConfigureAwait(false))
            {
                deleted.Add(image);
            }
        }
        return deleted;
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
