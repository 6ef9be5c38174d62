namespace GuestPull.Install.GuestImage;

/// <summary>What checking a guest image directory against its manifest found.</summary>
/// <param name="Manifest">The manifest, or null when it is missing or unreadable.</param>
/// <param name="Problems">One line per problem, each naming the file (relative to the image directory) and, for a mismatch, both digests.</param>
internal sealed record GuestImageVerification(GuestImageManifest? Manifest, IReadOnlyList<string> Problems)
{
    /// <summary>Whether every file checked has the digest the manifest records.</summary>
    public bool Intact => Problems.Count == 0;
}
