namespace GuestPull.Images.Signatures;

/// <summary>The <c>signedIdentity.type</c> values of containers-policy.json.</summary>
internal enum SignedIdentityKind
{
    MatchRepoDigestOrExact,
    MatchRepository,
    ExactReference,
    ExactRepository,
    RemapIdentity,
}
