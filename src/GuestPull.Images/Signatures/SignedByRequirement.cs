namespace GuestPull.Images.Signatures;

/// <summary>
/// <c>signedBy</c> with <c>keyType: GPGKeys</c>: at least one simple-signing signature from the
/// lookaside store must verify with one of the trusted keys, name this manifest's digest, and
/// carry an identity the <see cref="SignedIdentityRule"/> accepts.
/// </summary>
internal sealed class SignedByRequirement : PolicyRequirement
{
    private readonly GpgKeyring _keys;
    private readonly SignedIdentityRule _identity;

    public SignedByRequirement(GpgKeyring keys, SignedIdentityRule identity)
    {
        _keys = keys;
        _identity = identity;
    }

    public override string TypeName => "signedBy";

    public override async Task<RequirementResult> EvaluateAsync(SignatureContext context, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        var found = 0;
        var locations = new List<string>();
        foreach (var candidate in context.Candidates)
        {
            var fetched = await context.GetSimpleSignaturesAsync(candidate, cancellationToken).ConfigureAwait(false);
            locations.Add(fetched.Location);
            if (fetched.Error is not null)
            {
                problems.Add(fetched.Error);
            }

            for (var i = 0; i < fetched.Signatures.Count; i++)
            {
                found++;
                var where = $"signature-{i + 1} of {candidate}";
                try
                {
                    var payload = SimpleSigningPayload.Parse(_keys.Verify(fetched.Signatures[i]), SimpleSigningPayload.AtomicType);
                    if (!candidate.IsDigest(payload.ManifestDigest))
                    {
                        problems.Add($"digest mismatch: {where} was made for manifest {payload.ManifestDigest}, not this image's {candidate.Digest} (a signature of another image, or the tag was moved after signing)");
                        continue;
                    }

                    if (_identity.Check(context.Identity, payload.Identity) is { } mismatch)
                    {
                        problems.Add($"{where}: {mismatch}");
                        continue;
                    }

                    return RequirementResult.Pass($"GPG signature for {payload.Identity} covers {candidate}");
                }
                catch (SignatureVerificationException ex)
                {
                    problems.Add($"{where}: {ex.Message}");
                }
            }
        }

        if (found == 0 && problems.Count == 0)
        {
            return RequirementResult.Fail($"no signature: no GPG signature for {context.DescribeCandidates()} (looked in {string.Join(", ", locations.Distinct())})");
        }

        return RequirementResult.Fail(found == 0 ? $"no signature: {string.Join("; ", problems.Distinct())}" : string.Join("; ", problems.Distinct()));
    }
}
