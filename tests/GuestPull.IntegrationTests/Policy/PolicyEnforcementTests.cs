using GuestPull.IntegrationTests.Infrastructure;
using GuestPull.Testing;
using GuestPull.Testing.Traits;

namespace GuestPull.IntegrationTests.Policy;

/// <summary>
/// <c>guestpull pull --policy</c> against images signed by real tools: accepted under each
/// requirement type, rejected with a message naming the failed requirement for each way a
/// signature can be missing or wrong — and nothing is downloaded or created for a rejected image.
/// </summary>
[Trait(Requires.Trait, Requires.Components)]
[Collection(SignedImagesCollection.Name)]
public sealed class PolicyEnforcementTests
{
    private readonly SignedImagesFixture _images;

    public PolicyEnforcementTests(SignedImagesFixture images) => _images = images;

    private Task<ProcessResult> PullAsync(string policy, string repoAndTag, string root, params string[] extra) =>
        GuestPullCli.RunAsync(["pull", "--root", root, "--insecure-registry", _images.Host, "--retries", "1", "--policy", policy, "--registries-d", _images.RegistriesD, .. extra, _images.Ref(repoAndTag)], null);

    private async Task<ProcessResult> PullFreshAsync(string policy, string repoAndTag)
    {
        var work = _images.WorkDirectory("pull");
        return await PullAsync(policy, repoAndTag, Path.Combine(work, "store"));
    }

    [Fact]
    public async Task InsecureAcceptAnythingAcceptsAnUnsignedImage()
    {
        var policy = _images.WritePolicy("{\"default\": [{\"type\": \"insecureAcceptAnything\"}]}");
        var result = await PullFreshAsync(policy, "unsigned/app:1");
        CliAssert.Succeeded(result);
        Assert.Contains("signature policy: accepted by insecureAcceptAnything (policy scope default)", result.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignedByAcceptsASkopeoGpgSignatureFromTheLookaside()
    {
        var result = await PullFreshAsync(_images.GpgPolicy(), "gpg/signed:1");
        CliAssert.Succeeded(result);
        Assert.Contains($"accepted by signedBy (policy scope default): GPG signature for {_images.Ref("gpg/signed:1")} covers manifest {_images.GpgSignedDigest}", result.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SigstoreSignedAcceptsAnAttachedCosignSignature()
    {
        var result = await PullFreshAsync(_images.CosignPolicy(), "cosign/signed:1");
        CliAssert.Succeeded(result);
        Assert.Contains($"accepted by sigstoreSigned (policy scope default): sigstore signature by ECDSA P-256 key", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains($"covers manifest {_images.DigestA}", result.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task APinnedDigestNeedsOnlyARepositoryMatch()
    {
        var result = await PullFreshAsync(_images.CosignPolicy(), "cosign/signed@" + _images.DigestA);
        CliAssert.Succeeded(result);
    }

    [Fact]
    public async Task UnsignedIsRejectedUnderBothSignatureTypes()
    {
        var gpg = await PullFreshAsync(_images.GpgPolicy(), "unsigned/app:1");
        CliAssert.Failed(gpg, 1, "rejected by signature policy: requirement signedBy (scope default) failed: no signature: no GPG signature for manifest " + _images.DigestA);

        var cosign = await PullFreshAsync(_images.CosignPolicy(), "unsigned/app:1");
        CliAssert.Failed(cosign, 1, "requirement sigstoreSigned (scope default) failed: no signature: no sigstore signature for manifest " + _images.DigestA);
        Assert.Contains("sha256-" + _images.DigestA[7..] + ".sig", cosign.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignatureByAnotherKeyIsRejected()
    {
        var gpg = await PullFreshAsync(_images.GpgPolicy(), "gpg/other:1");
        CliAssert.Failed(gpg, 1, "requirement signedBy", "wrong key: signed by OpenPGP key ID");

        var cosign = await PullFreshAsync(_images.CosignPolicy(), "cosign/other:1");
        CliAssert.Failed(cosign, 1, "requirement sigstoreSigned", "wrong key or altered signature");
    }

    [Fact]
    public async Task ASwappedSignatureIsADigestMismatch()
    {
        var result = await PullFreshAsync(_images.CosignPolicy(), "cosign/swapped:1");
        CliAssert.Failed(result, 1, "requirement sigstoreSigned", $"digest mismatch: the signature was made for manifest {_images.DigestA}, not this image's {_images.DigestB}");
    }

    [Fact]
    public async Task ASwappedGpgSignatureIsADigestMismatch()
    {
        var result = await PullFreshAsync(_images.GpgPolicy(), "gpg/swapped:1");
        CliAssert.Failed(result, 1, "requirement signedBy", $"digest mismatch: signature-1 of manifest {_images.DigestB} was made for manifest {_images.GpgSignedDigest}");
    }

    [Fact]
    public async Task AGpgSignedTagMovedAfterSigningHasNoSignatureForItsNewManifest()
    {
        var result = await PullFreshAsync(_images.GpgPolicy(), "gpg/moved:1");
        CliAssert.Failed(result, 1, "requirement signedBy", "no signature: no GPG signature for manifest " + _images.DigestB);
    }

    [Fact]
    public async Task ATagMovedAfterSigningHasNoSignatureForItsNewManifest()
    {
        var result = await PullFreshAsync(_images.CosignPolicy(), "cosign/moved:1");
        CliAssert.Failed(result, 1, "requirement sigstoreSigned", "no signature: no sigstore signature for manifest " + _images.DigestB);
    }

    [Fact]
    public async Task ACorruptedSignatureBlobIsRejected()
    {
        var result = await PullFreshAsync(_images.CosignPolicy(), "cosign/corrupt:1");
        CliAssert.Failed(result, 1, "requirement sigstoreSigned", "corrupted signature: the payload blob", "digest mismatch");
    }

    [Fact]
    public async Task AnUnsignedTagOfASignedManifestIsAnIdentityMismatch()
    {
        var result = await PullFreshAsync(_images.CosignPolicy(), "cosign/signed:2");
        CliAssert.Failed(result, 1, "requirement sigstoreSigned", $"identity mismatch (signedIdentity matchRepoDigestOrExact): the signature names {_images.Ref("cosign/signed:1")}, the image is {_images.Ref("cosign/signed:2")}");
    }

    [Fact]
    public async Task ARejectScopeRejectsWhateverTheDefault()
    {
        var policy = _images.WritePolicy(
            "{\"default\": [{\"type\": \"insecureAcceptAnything\"}], \"transports\": {\"docker\": {\"" + _images.Host + "/unsigned\": [{\"type\": \"reject\"}]}}}");
        var result = await PullFreshAsync(policy, "unsigned/app:1");
        CliAssert.Failed(result, 1, $"requirement reject (scope transports.docker[\"{_images.Host}/unsigned\"]) failed: the policy rejects every image in this scope");
    }

    [Fact]
    public async Task AMalformedPolicyIsRefusedWithTheFieldNamed()
    {
        var policy = _images.WritePolicy("{\"default\": [{\"type\": \"sigstoreSigned\", \"keyPath\": \"/nonexistent/cosign.pub\"}]}");
        var result = await PullFreshAsync(policy, "unsigned/app:1");
        CliAssert.Failed(result, 2, "default[0].keyPath: cannot read key file /nonexistent/cosign.pub");
    }

    [Fact]
    public async Task AMissingExplicitPolicyIsAnError()
    {
        var result = await PullFreshAsync("/nonexistent/guestpull/policy.json", "unsigned/app:1");
        CliAssert.Failed(result, 1, "signature policy /nonexistent/guestpull/policy.json does not exist");
    }

    [Fact]
    public async Task ARejectedImageWhoseLayersAreCachedIsStillRejectedAndGetsNoBundle()
    {
        var work = _images.WorkDirectory("cached");
        var root = Path.Combine(work, "store");
        var accept = _images.WritePolicy("{\"default\": [{\"type\": \"insecureAcceptAnything\"}]}");
        CliAssert.Succeeded(await PullAsync(accept, "cosign/swapped:1", root));

        await _images.Registry.SyncAccessLogAsync(CancellationToken.None);
        var blobGets = _images.Registry.CountBlobGets();
        var bundle = Path.Combine(work, "bundle");
        var rejected = await PullAsync(_images.CosignPolicy(), "cosign/swapped:1", root, "--bundle", bundle);
        CliAssert.Failed(rejected, 1, "requirement sigstoreSigned", "digest mismatch");
        Assert.False(Directory.Exists(bundle), "a bundle was created for a rejected image");

        // Only the config and the signature payload may be read again; no layer.
        await _images.Registry.SyncAccessLogAsync(CancellationToken.None);
        Assert.True(_images.Registry.CountBlobGets() - blobGets <= 2, "the rejected pull read layer blobs");
    }

    [Theory]
    [InlineData("cosign/index:1")]
    [InlineData("cosign/platform:1")]
    public async Task AMultiPlatformImageIsAcceptedWhetherTheIndexOrThePlatformManifestIsSigned(string repoAndTag)
    {
        var result = await PullFreshAsync(_images.CosignPolicy(), repoAndTag);
        CliAssert.Succeeded(result);
        Assert.Contains(repoAndTag == "cosign/index:1" ? $"covers index {_images.IndexDigest}" : "covers platform manifest sha256:", result.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AMirroredImageIsJudgedUnderItsOwnNameNotTheMirrors()
    {
        // The policy rejects the mirror's name outright; the image's own name needs a signature.
        var policy = _images.WritePolicy(
            "{\"default\": [{\"type\": \"sigstoreSigned\", \"keyPath\": " + System.Text.Json.JsonSerializer.Serialize(_images.TrustedCosignKeyPath) + "}], "
            + "\"transports\": {\"docker\": {\"" + _images.Host + "\": [{\"type\": \"reject\"}]}}}");
        var conf = _images.MirrorRegistriesConf();
        var root = Path.Combine(_images.WorkDirectory("mirror"), "store");
        var accepted = await GuestPullCli.RunAsync(["pull", "--root", root, "--registries-conf", conf, "--retries", "1", "--policy", policy, _images.OriginName + "/cosign/mirrored:1"], null);
        CliAssert.Succeeded(accepted);
        Assert.Contains($"sigstore signature by ECDSA P-256 key", accepted.StandardOutput, StringComparison.Ordinal);
        Assert.Contains($"for {_images.OriginName}/cosign/mirrored:1", accepted.StandardOutput, StringComparison.Ordinal);

        // A signature naming the mirror is not a signature of the image.
        var mirrorNamed = await GuestPullCli.RunAsync(["pull", "--root", root, "--registries-conf", conf, "--retries", "1", "--policy", policy, _images.OriginName + "/cosign/mirrorname:1"], null);
        CliAssert.Failed(mirrorNamed, 1, "requirement sigstoreSigned (scope default)", $"identity mismatch (signedIdentity matchRepoDigestOrExact): the signature names {_images.Host}/cosign/mirrorname:1, the image is {_images.OriginName}/cosign/mirrorname:1");
    }
}
