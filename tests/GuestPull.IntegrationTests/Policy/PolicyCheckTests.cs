using GuestPull.IntegrationTests.Infrastructure;
using GuestPull.Testing;
using GuestPull.Testing.Traits;

namespace GuestPull.IntegrationTests.Policy;

/// <summary>
/// <c>guestpull policy check</c>: the decision and its reason without pulling layers; exit 0 only
/// when accepted. Also every signedIdentity rule, against a repository whose signature names
/// another repository (cosign/copy carries a signature for cosign/signed:1).
/// </summary>
[Trait(Requires.Trait, Requires.Components)]
[Collection(SignedImagesCollection.Name)]
public sealed class PolicyCheckTests
{
    private readonly SignedImagesFixture _images;

    public PolicyCheckTests(SignedImagesFixture images) => _images = images;

    private Task<ProcessResult> CheckAsync(string policy, string repoAndTag, params string[] extra) =>
        GuestPullCli.RunAsync(["policy", "check", "--insecure-registry", _images.Host, "--retries", "1", "--policy", policy, "--registries-d", _images.RegistriesD, .. extra, _images.Ref(repoAndTag)], null);

    [Fact]
    public async Task AcceptedExitsZeroAndDownloadsNoLayer()
    {
        await _images.Registry.SyncAccessLogAsync(CancellationToken.None);
        var before = _images.Registry.CountBlobGets();
        var result = await CheckAsync(_images.GpgPolicy(), "gpg/signed:1");
        CliAssert.Succeeded(result);
        Assert.StartsWith($"accepted {_images.Ref("gpg/signed:1")} {_images.GpgSignedDigest}", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("requirement: signedBy", result.StandardOutput, StringComparison.Ordinal);

        // The config blob only.
        await _images.Registry.SyncAccessLogAsync(CancellationToken.None);
        Assert.Equal(1, _images.Registry.CountBlobGets() - before);
    }

    [Fact]
    public async Task RejectedExitsOneWithTheReason()
    {
        var result = await CheckAsync(_images.CosignPolicy(), "unsigned/app:1");
        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("rejected ", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("reason:      no signature", result.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MalformedPolicyExitsTwo()
    {
        var policy = _images.WritePolicy("{\"default\": [], \"transports\": {}}");
        var result = await CheckAsync(policy, "unsigned/app:1");
        CliAssert.Failed(result, 2, "default: an empty requirement list is not allowed");
    }

    [Fact]
    public async Task MalformedRegistriesDExitsTwo()
    {
        var directory = _images.WorkDirectory("bad-registries-d");
        await File.WriteAllTextAsync(Path.Combine(directory, "bad.yaml"), "default-docker:\n  lookaside: not-a-url\n");
        var result = await GuestPullCli.RunAsync(["policy", "check", "--insecure-registry", _images.Host, "--policy", _images.GpgPolicy(), "--registries-d", directory, _images.Ref("gpg/signed:1")], null);
        CliAssert.Failed(result, 2, "bad.yaml: default-docker.lookaside: \"not-a-url\" is not an absolute");
    }

    [Theory]
    [InlineData("{\"type\": \"matchRepoDigestOrExact\"}", false, "identity mismatch (signedIdentity matchRepoDigestOrExact)")]
    [InlineData("{\"type\": \"matchRepository\"}", false, "identity mismatch (signedIdentity matchRepository)")]
    [InlineData("{\"type\": \"exactReference\", \"dockerReference\": \"HOST/cosign/signed:2\"}", false, "identity mismatch (signedIdentity exactReference)")]
    [InlineData("{\"type\": \"exactReference\", \"dockerReference\": \"HOST/cosign/signed:1\"}", true, "")]
    [InlineData("{\"type\": \"exactRepository\", \"dockerRepository\": \"HOST/cosign/other\"}", false, "identity mismatch (signedIdentity exactRepository)")]
    [InlineData("{\"type\": \"exactRepository\", \"dockerRepository\": \"HOST/cosign/signed\"}", true, "")]
    [InlineData("{\"type\": \"remapIdentity\", \"prefix\": \"HOST/cosign/copy\", \"signedPrefix\": \"HOST/cosign/elsewhere\"}", false, "identity mismatch (signedIdentity remapIdentity")]
    [InlineData("{\"type\": \"remapIdentity\", \"prefix\": \"HOST/cosign/copy\", \"signedPrefix\": \"HOST/cosign/signed\"}", true, "")]
    public async Task EachIdentityRule(string identity, bool accepted, string reason)
    {
        var policy = _images.CosignPolicy(identity.Replace("HOST", _images.Host, StringComparison.Ordinal));
        var result = await CheckAsync(policy, "cosign/copy:1");
        Assert.True(accepted == (result.ExitCode == 0), $"exit {result.ExitCode}\n{result.StandardOutput}\n{result.StandardError}");
        Assert.Contains(reason, result.StandardOutput, StringComparison.Ordinal);
    }
}
