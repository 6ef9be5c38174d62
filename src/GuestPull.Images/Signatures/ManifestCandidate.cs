using GuestPull.Oci.Model;

namespace GuestPull.Images.Signatures;

/// <summary>
/// A manifest a signature may cover: the index the reference names, or the platform manifest
/// picked from it (skopeo signs the index with <c>--all</c>, the platform manifest without).
/// </summary>
internal sealed record ManifestCandidate(string Role, Digest Digest, ReadOnlyMemory<byte> Bytes)
{
    /// <summary>Whether <paramref name="signed"/> is the digest of these exact bytes (in its own algorithm).</summary>
    public bool IsDigest(Digest signed) => signed.ComputeSameAlgorithm(Bytes.Span) == signed;

    public override string ToString() => $"{Role} {Digest}";
}
