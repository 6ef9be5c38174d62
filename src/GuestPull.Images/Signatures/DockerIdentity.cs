using GuestPull.Oci.Model;

namespace GuestPull.Images.Signatures;

/// <summary>
/// A normalised docker reference as signatures and policies write it: a name with an optional tag
/// and digest. Unlike <see cref="ImageReference"/> a missing tag stays missing, because
/// <c>example.com/app</c> and <c>example.com/app:latest</c> are different identities to sign.
/// </summary>
internal sealed record DockerIdentity(string Name, string? Tag, Digest? Digest)
{
    public bool IsNameOnly => Tag is null && Digest is null;

    /// <exception cref="FormatException">Not a valid reference; the message says why.</exception>
    public static DockerIdentity Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parsed = ImageReference.Parse(text);
        var withoutDigest = text.Split('@', 2)[0];
        var hasTag = withoutDigest.LastIndexOf(':') > withoutDigest.LastIndexOf('/');
        return new DockerIdentity(parsed.Name, hasTag ? parsed.Tag : null, parsed.Digest);
    }

    public static DockerIdentity FromImage(ImageReference reference) => new(reference.Name, reference.Tag, reference.Digest);

    public override string ToString() =>
        Name + (Tag is null ? string.Empty : ":" + Tag) + (Digest is null ? string.Empty : "@" + Digest);
}
