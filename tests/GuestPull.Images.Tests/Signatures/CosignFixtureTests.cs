using GuestPull.Images.Signatures;

namespace GuestPull.Images.Tests.Signatures;

/// <summary>
/// Signatures made by the real cosign (containers/image's fixtures), verified with the expectations
/// the fixtures' README states.
/// </summary>
public sealed class CosignFixtureTests
{
    private const string SignedName = "192.168.64.2:5000/cosign-signed-single-sample";

    private static SigstoreSignedRequirement Requirement(string keyPath, string identity = "{\"type\": \"matchRepository\"}") =>
        PolicyTestHelpers.DefaultRequirement<SigstoreSignedRequirement>($"{{\"type\": \"sigstoreSigned\", \"keyPath\": {PolicyTestHelpers.Json(keyPath)}, \"signedIdentity\": {identity}}}");

    private static RequirementResult Check(string directory, string signature, string keyPath, string image = SignedName, string identity = "{\"type\": \"matchRepository\"}")
    {
        var manifest = SigstoreFixtures.Manifest(directory);
        var context = PolicyTestHelpers.Context(image, manifest);
        return Requirement(keyPath, identity).Check(context, manifest, SigstoreFixtures.ReadSignature(signature));
    }

    [Fact]
    public void ValidSignatureIsAcceptedWithCosignPub()
    {
        var result = Check("dir-img-cosign-valid", "dir-img-cosign-valid/signature-1", SigstoreFixtures.PublicKey);
        Assert.True(result.Passed, result.Reason);
        Assert.Contains("sha256:634a8f35b5f16dcf4aaa0822adc0b1964bb786fca12f6831de8ddc45e5986a00", result.Reason, StringComparison.Ordinal);
        Assert.Contains("ECDSA P-256", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ValidSignatureIsRejectedWithCosign2Pub()
    {
        var result = Check("dir-img-cosign-valid", "dir-img-cosign-valid/signature-1", SigstoreFixtures.OtherPublicKey);
        Assert.False(result.Passed);
        Assert.Contains("wrong key", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ModifiedManifestIsADigestMismatch()
    {
        var result = Check("dir-img-cosign-modified-manifest", "dir-img-cosign-modified-manifest/signature-1", SigstoreFixtures.PublicKey);
        Assert.False(result.Passed);
        Assert.Contains("digest mismatch", result.Reason, StringComparison.Ordinal);
        Assert.Contains("sha256:634a8f35b5f16dcf4aaa0822adc0b1964bb786fca12f6831de8ddc45e5986a00", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ManifestDigestErrorIsRejected()
    {
        // The fixture's manifest is a link to a manifest containers/image cannot digest; here the
        // bytes that are present do not hash to the signed digest.
        var result = Check("dir-img-cosign-manifest-digest-error", "dir-img-cosign-manifest-digest-error/signature-1", SigstoreFixtures.PublicKey);
        Assert.False(result.Passed);
        Assert.Contains("digest mismatch", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void OtherAttachmentIsNotASignatureAndWouldNotVerify()
    {
        // A text/plain attachment carrying a valid signature annotation: the fetcher skips it as
        // not a signature layer, and even taken as one it does not verify.
        var signature = SigstoreFixtures.ReadSignature("dir-img-cosign-other-attachment/signature-1", out var mimeType);
        Assert.False(SigstoreSignatureFetcher.IsSignatureLayer(mimeType));
        var manifest = SigstoreFixtures.Manifest("dir-img-cosign-other-attachment");
        var result = Requirement(SigstoreFixtures.PublicKey).Check(PolicyTestHelpers.Context(SignedName, manifest), manifest, signature);
        Assert.False(result.Passed);
        Assert.Contains("does not verify", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownKeySignatureIsRejected()
    {
        var result = Check("dir-img-cosign-valid", "unknown-cosign-key.signature", SigstoreFixtures.PublicKey);
        Assert.False(result.Passed);
        Assert.Contains("wrong key", result.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("dir-img-cosign-valid-2/signature-1")]
    [InlineData("dir-img-cosign-valid-2/signature-2")]
    public void BothSignaturesOfValid2AreAccepted(string signature)
    {
        var result = Check("dir-img-cosign-valid-2", signature, SigstoreFixtures.PublicKey);
        Assert.True(result.Passed, result.Reason);
    }

    [Theory]
    [InlineData("{\"type\": \"matchRepoDigestOrExact\"}")]
    [InlineData("{\"type\": \"exactReference\", \"dockerReference\": \"192.168.64.2:5000/skopeo-signed:tag\"}")]
    [InlineData("{\"type\": \"exactRepository\", \"dockerRepository\": \"192.168.64.2:5000/skopeo-signed\"}")]
    [InlineData("{\"type\": \"remapIdentity\", \"prefix\": \"mirror.example.com/signed\", \"signedPrefix\": \"192.168.64.2:5000/skopeo-signed\"}")]
    public void ValidWithTagMatchesItsTaggedIdentity(string identity)
    {
        var image = identity.Contains("remapIdentity", StringComparison.Ordinal) ? "mirror.example.com/signed:tag" : "192.168.64.2:5000/skopeo-signed:tag";
        var result = Check("dir-img-cosign-valid-with-tag", "dir-img-cosign-valid-with-tag/signature-1", SigstoreFixtures.PublicKey, image, identity);
        Assert.True(result.Passed, result.Reason);
    }

    [Fact]
    public void ValidWithTagUnderAnotherTagIsAnIdentityMismatch()
    {
        var result = Check("dir-img-cosign-valid-with-tag", "dir-img-cosign-valid-with-tag/signature-1", SigstoreFixtures.PublicKey, "192.168.64.2:5000/skopeo-signed:other", "{\"type\": \"matchRepoDigestOrExact\"}");
        Assert.False(result.Passed);
        Assert.Contains("identity mismatch (signedIdentity matchRepoDigestOrExact)", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void UntaggedSignedIdentityDoesNotMatchATagExactly()
    {
        // cosign signed the bare repository name; an image pulled by tag needs that very tag signed.
        var result = Check("dir-img-cosign-valid", "dir-img-cosign-valid/signature-1", SigstoreFixtures.PublicKey, SignedName + ":latest", "{\"type\": \"matchRepoDigestOrExact\"}");
        Assert.False(result.Passed);
        Assert.Contains("identity mismatch", result.Reason, StringComparison.Ordinal);
    }
}
