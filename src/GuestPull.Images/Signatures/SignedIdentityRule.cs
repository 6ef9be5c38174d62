namespace GuestPull.Images.Signatures;

/// <summary>
/// How the identity a signature claims (<c>critical.identity.docker-reference</c>) must relate to
/// the image being pulled. The image's identity is always the name the user asked for, never the
/// mirror that served it: a mirror is a transport detail, the signer signed the canonical name.
/// </summary>
internal sealed record SignedIdentityRule
{
    public static readonly SignedIdentityRule Default = new() { Kind = SignedIdentityKind.MatchRepoDigestOrExact };

    public required SignedIdentityKind Kind { get; init; }

    /// <summary>exactReference: the reference the signature must name.</summary>
    public DockerIdentity? DockerReference { get; init; }

    /// <summary>exactRepository: the repository the signature must name.</summary>
    public string? DockerRepository { get; init; }

    /// <summary>remapIdentity: the prefix of the image's name that is replaced …</summary>
    public string? Prefix { get; init; }

    /// <summary>remapIdentity: … by this one before matching as matchRepoDigestOrExact.</summary>
    public string? SignedPrefix { get; init; }

    public string TypeName => Kind switch
    {
        SignedIdentityKind.MatchRepoDigestOrExact => "matchRepoDigestOrExact",
        SignedIdentityKind.MatchRepository => "matchRepository",
        SignedIdentityKind.ExactReference => "exactReference",
        SignedIdentityKind.ExactRepository => "exactRepository",
        _ => "remapIdentity",
    };

    /// <summary>Null when <paramref name="signed"/> is acceptable for <paramref name="image"/>; otherwise why not.</summary>
    public string? Check(DockerIdentity image, DockerIdentity signed)
    {
        switch (Kind)
        {
            case SignedIdentityKind.MatchRepoDigestOrExact:
                return RepoDigestOrExact(image, signed, TypeName);
            case SignedIdentityKind.MatchRepository:
                return signed.Name == image.Name ? null : Mismatch($"the signature names repository {signed.Name}, the image is {image.Name}");
            case SignedIdentityKind.ExactReference:
                return signed == DockerReference ? null : Mismatch($"the signature names {signed}, the policy requires exactly {DockerReference}");
            case SignedIdentityKind.ExactRepository:
                return signed.Name == DockerRepository ? null : Mismatch($"the signature names repository {signed.Name}, the policy requires {DockerRepository}");
            default:
                var remapped = Remap(image);
                return remapped is null
                    ? RepoDigestOrExact(image, signed, TypeName)
                    : RepoDigestOrExact(remapped, signed, $"{TypeName} {Prefix} → {SignedPrefix}");
        }
    }

    private DockerIdentity? Remap(DockerIdentity image)
    {
        var prefix = Prefix!;
        if (image.Name != prefix && !image.Name.StartsWith(prefix + "/", StringComparison.Ordinal))
        {
            return null;
        }

        try
        {
            return DockerIdentity.Parse(SignedPrefix + image.ToString()[prefix.Length..]);
        }
        catch (FormatException)
        {
            // The remapped name is not a valid reference (too long, say): nothing can match it.
            return new DockerIdentity(SignedPrefix + "/<invalid remapped name>", null, null);
        }
    }

    private string Mismatch(string detail) => $"identity mismatch (signedIdentity {TypeName}): {detail}";

    private static string? RepoDigestOrExact(DockerIdentity image, DockerIdentity signed, string typeName)
    {
        // A digest pins the content already, so any signature for the repository will do; a tag
        // is only a name, so the signer must have signed that very tag.
        if (image.Digest is not null)
        {
            return signed.Name == image.Name
                ? null
                : $"identity mismatch (signedIdentity {typeName}): the signature names repository {signed.Name}, the image is {image.Name}";
        }

        return signed.Name == image.Name && signed.Tag == image.Tag && signed.Digest is null
            ? null
            : $"identity mismatch (signedIdentity {typeName}): the signature names {signed}, the image is {image}";
    }
}
