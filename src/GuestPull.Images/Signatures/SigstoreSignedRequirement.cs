namespace GuestPull.Images.Signatures;

/// <summary>
/// <c>sigstoreSigned</c> with public keys: at least one cosign signature attached in the registry
/// must verify with one of the keys, name this manifest's digest, and carry an identity the
/// <see cref="SignedIdentityRule"/> accepts. Fulcio certificates and Rekor are not supported and
/// are refused when the policy is parsed.
/// </summary>
internal sealed class SigstoreSignedRequirement : PolicyRequirement
{
    private readonly IReadOnlyList<SigstorePublicKey> _keys;
    private readonly SignedIdentityRule _identity;

    public SigstoreSignedRequirement(IReadOnlyList<SigstorePublicKey> keys, SignedIdentityRule identity)
    {
        _keys = keys;
        _identity = identity;
    }

    public override string TypeName => "sigstoreSigned";

    public override async Task<RequirementResult> EvaluateAsync(SignatureContext context, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        var found = 0;
        var locations = new List<string>();
        foreach (var candidate in context.Candidates)
        {
            var fetched = await context.GetSigstoreSignaturesAsync(candidate, cancellationToken).ConfigureAwait(false);
            locations.Add(fetched.Location);
            if (fetched.Error is not null)
            {
                problems.Add(fetched.Error);
            }

            foreach (var signature in fetched.Signatures)
            {
                found++;
                var result = Check(context, candidate, signature);
                if (result.Passed)
                {
                    return result;
                }

                problems.Add(result.Reason);
            }
        }

        if (found == 0 && problems.Count == 0)
        {
            return RequirementResult.Fail($"no signature: no sigstore signature for {context.DescribeCandidates()} (looked for {string.Join(", ", locations.Distinct())})");
        }

        return RequirementResult.Fail(found == 0 ? $"no signature: {string.Join("; ", problems.Distinct())}" : string.Join("; ", problems.Distinct()));
    }

    /// <summary>Checks one signature found for <paramref name="candidate"/>.</summary>
    internal RequirementResult Check(SignatureContext context, ManifestCandidate candidate, SigstoreSignature signature)
    {
        var where = $"signature {signature.Source}";
        if (signature.Error is not null)
        {
            return RequirementResult.Fail($"{where}: {signature.Error}");
        }

        if (string.IsNullOrEmpty(signature.SignatureBase64))
        {
            return RequirementResult.Fail($"{where}: corrupted signature: the layer has no {SigstoreSignature.SignatureAnnotation} annotation");
        }

        byte[] raw;
        try
        {
            raw = Convert.FromBase64String(signature.SignatureBase64);
        }
        catch (FormatException)
        {
            return RequirementResult.Fail($"{where}: corrupted signature: the {SigstoreSignature.SignatureAnnotation} annotation is not base64");
        }

        var payloadBytes = signature.Payload!;
        var key = _keys.FirstOrDefault(k => k.Verify(payloadBytes, raw));
        if (key is null)
        {
            return RequirementResult.Fail($"{where}: wrong key or altered signature: it does not verify with the trusted key{(_keys.Count > 1 ? "s" : string.Empty)} ({string.Join(", ", _keys.Select(k => k.Description))})");
        }

        SimpleSigningPayload payload;
        try
        {
            payload = SimpleSigningPayload.Parse(payloadBytes, SimpleSigningPayload.CosignType);
        }
        catch (SignatureVerificationException ex)
        {
            return RequirementResult.Fail($"{where}: {ex.Message}");
        }

        if (!candidate.IsDigest(payload.ManifestDigest))
        {
            return RequirementResult.Fail($"{where}: digest mismatch: the signature was made for manifest {payload.ManifestDigest}, not this image's {candidate.Digest} (a signature of another image, or the tag was moved after signing)");
        }

        if (_identity.Check(context.Identity, payload.Identity) is { } mismatch)
        {
            return RequirementResult.Fail($"{where}: {mismatch}");
        }

        return RequirementResult.Pass($"sigstore signature by {key.Description} for {payload.Identity} covers {candidate}");
    }
}
