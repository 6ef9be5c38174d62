using GuestPull.Images.Signatures;
using GuestPull.Oci.Model;
using GuestPull.Testing;
using GuestPull.Testing.Traits;

namespace GuestPull.Images.Tests.Signatures;

/// <summary>Simple signing with signatures made by the real gpg, read from a file:// lookaside store.</summary>
[Trait(Requires.Trait, Requires.Components)]
public sealed class GpgSimpleSigningTests : IAsyncLifetime
{
    private const string Image = "registry.example.com/team/app:1";
    private readonly TempDirectory _directory = TempDirectory.Create("gpg-unit");
    private GpgKey _trusted = null!;
    private GpgKey _other = null!;

    public async Task InitializeAsync()
    {
        _trusted = await GpgKey.CreateAsync("Trusted Signer");
        _other = await GpgKey.CreateAsync("Other Signer");
    }

    public async Task DisposeAsync()
    {
        await _trusted.DisposeAsync();
        await _other.DisposeAsync();
        _directory.Dispose();
    }

    private static ManifestCandidate Manifest(string content)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(content);
        return new ManifestCandidate("manifest", Digest.ComputeSha256(bytes), bytes);
    }

    private SignedByRequirement Requirement(string keyPath, string identity = "{\"type\": \"matchRepoDigestOrExact\"}") =>
        PolicyTestHelpers.DefaultRequirement<SignedByRequirement>($"{{\"type\": \"signedBy\", \"keyType\": \"GPGKeys\", \"keyPath\": {PolicyTestHelpers.Json(keyPath)}, \"signedIdentity\": {identity}}}");

    private async Task<RegistriesDirectory> StoreAsync(ManifestCandidate manifest, params byte[][] signatures)
    {
        var lookaside = _directory.CreateSubdirectory("lookaside-" + Guid.NewGuid().ToString("N"));
        var directory = Path.Combine(lookaside, "team", "app@sha256=" + manifest.Digest.Hex);
        Directory.CreateDirectory(directory);
        for (var i = 0; i < signatures.Length; i++)
        {
            await File.WriteAllBytesAsync(Path.Combine(directory, $"signature-{i + 1}"), signatures[i]);
        }

        var registriesD = SkopeoSigning.WriteRegistriesD(Path.Combine(lookaside, "registries.d"), lookaside);
        return RegistriesDirectory.Load(registriesD);
    }

    [Fact]
    public async Task SignatureByTheTrustedKeyIsAccepted()
    {
        var manifest = Manifest("{\"image\": 1}");
        var signature = await _trusted.SignAsync(GpgKey.SimpleSigningPayload(Image, manifest.Digest.ToString()));
        var context = PolicyTestHelpers.Context(Image, await StoreAsync(manifest, signature), manifest);
        var result = await Requirement(_trusted.PublicKeyPath).EvaluateAsync(context, CancellationToken.None);
        Assert.True(result.Passed, result.Reason);

        // An armored keyring works the same.
        result = await Requirement(_trusted.ArmoredPublicKeyPath).EvaluateAsync(context, CancellationToken.None);
        Assert.True(result.Passed, result.Reason);
    }

    [Fact]
    public async Task KeyPathsAndKeyDataAreTrustedToo()
    {
        var manifest = Manifest("{\"image\": 10}");
        var signature = await _trusted.SignAsync(GpgKey.SimpleSigningPayload(Image, manifest.Digest.ToString()));
        var context = PolicyTestHelpers.Context(Image, await StoreAsync(manifest, signature), manifest);
        var keyPaths = PolicyTestHelpers.DefaultRequirement<SignedByRequirement>(
            $"{{\"type\": \"signedBy\", \"keyType\": \"GPGKeys\", \"keyPaths\": [{PolicyTestHelpers.Json(_other.PublicKeyPath)}, {PolicyTestHelpers.Json(_trusted.PublicKeyPath)}]}}");
        var result = await keyPaths.EvaluateAsync(context, CancellationToken.None);
        Assert.True(result.Passed, result.Reason);

        var keyData = PolicyTestHelpers.DefaultRequirement<SignedByRequirement>(
            $"{{\"type\": \"signedBy\", \"keyType\": \"GPGKeys\", \"keyData\": \"{Convert.ToBase64String(await File.ReadAllBytesAsync(_trusted.ArmoredPublicKeyPath))}\"}}");
        result = await keyData.EvaluateAsync(context, CancellationToken.None);
        Assert.True(result.Passed, result.Reason);
    }

    [Fact]
    public async Task ALaterGoodSignatureCountsAfterABadOne()
    {
        var manifest = Manifest("{\"image\": 2}");
        var payload = GpgKey.SimpleSigningPayload(Image, manifest.Digest.ToString());
        var context = PolicyTestHelpers.Context(Image, await StoreAsync(manifest, await _other.SignAsync(payload), await _trusted.SignAsync(payload)), manifest);
        var result = await Requirement(_trusted.PublicKeyPath).EvaluateAsync(context, CancellationToken.None);
        Assert.True(result.Passed, result.Reason);
    }

    [Fact]
    public async Task SignatureByAnotherKeyIsRejected()
    {
        var manifest = Manifest("{\"image\": 3}");
        var signature = await _other.SignAsync(GpgKey.SimpleSigningPayload(Image, manifest.Digest.ToString()));
        var context = PolicyTestHelpers.Context(Image, await StoreAsync(manifest, signature), manifest);
        var result = await Requirement(_trusted.PublicKeyPath).EvaluateAsync(context, CancellationToken.None);
        Assert.False(result.Passed);
        Assert.Contains("wrong key: signed by OpenPGP key ID", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AlteredSignatureIsRejectedAsCorrupted()
    {
        var manifest = Manifest("{\"image\": 4}");
        var signature = await _trusted.SignAsync(GpgKey.SimpleSigningPayload(Image, manifest.Digest.ToString()));
        signature[signature.Length / 2] ^= 0xFF;
        var context = PolicyTestHelpers.Context(Image, await StoreAsync(manifest, signature), manifest);
        var result = await Requirement(_trusted.PublicKeyPath).EvaluateAsync(context, CancellationToken.None);
        Assert.False(result.Passed);
        Assert.Contains("corrupted signature", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignatureForAnotherManifestIsADigestMismatch()
    {
        var manifest = Manifest("{\"image\": 5}");
        var other = Manifest("{\"image\": \"other\"}");
        var signature = await _trusted.SignAsync(GpgKey.SimpleSigningPayload(Image, other.Digest.ToString()));
        var context = PolicyTestHelpers.Context(Image, await StoreAsync(manifest, signature), manifest);
        var result = await Requirement(_trusted.PublicKeyPath).EvaluateAsync(context, CancellationToken.None);
        Assert.False(result.Passed);
        Assert.Contains($"digest mismatch: signature-1 of manifest {manifest.Digest} was made for manifest {other.Digest}", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task IdentityMismatchIsRejected()
    {
        var manifest = Manifest("{\"image\": 6}");
        var signature = await _trusted.SignAsync(GpgKey.SimpleSigningPayload("registry.example.com/team/app:2", manifest.Digest.ToString()));
        var context = PolicyTestHelpers.Context(Image, await StoreAsync(manifest, signature), manifest);
        var result = await Requirement(_trusted.PublicKeyPath).EvaluateAsync(context, CancellationToken.None);
        Assert.False(result.Passed);
        Assert.Contains("identity mismatch (signedIdentity matchRepoDigestOrExact)", result.Reason, StringComparison.Ordinal);

        result = await Requirement(_trusted.PublicKeyPath, "{\"type\": \"matchRepository\"}").EvaluateAsync(context, CancellationToken.None);
        Assert.True(result.Passed, result.Reason);
    }

    [Fact]
    public async Task CosignTypedPayloadIsNotASimpleSignature()
    {
        var manifest = Manifest("{\"image\": 7}");
        var signature = await _trusted.SignAsync(GpgKey.SimpleSigningPayload(Image, manifest.Digest.ToString(), type: "cosign container image signature"));
        var context = PolicyTestHelpers.Context(Image, await StoreAsync(manifest, signature), manifest);
        var result = await Requirement(_trusted.PublicKeyPath).EvaluateAsync(context, CancellationToken.None);
        Assert.False(result.Passed);
        Assert.Contains("critical.type is \"cosign container image signature\"", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnsignedImageHasNoSignature()
    {
        var manifest = Manifest("{\"image\": 8}");
        var context = PolicyTestHelpers.Context(Image, await StoreAsync(manifest), manifest);
        var result = await Requirement(_trusted.PublicKeyPath).EvaluateAsync(context, CancellationToken.None);
        Assert.False(result.Passed);
        Assert.StartsWith("no signature: no GPG signature for manifest " + manifest.Digest, result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithoutALookasideThereIsNoSignature()
    {
        var manifest = Manifest("{\"image\": 9}");
        var context = PolicyTestHelpers.Context(Image, manifest);
        var result = await Requirement(_trusted.PublicKeyPath).EvaluateAsync(context, CancellationToken.None);
        Assert.False(result.Passed);
        Assert.Contains("no lookaside store is configured for registry.example.com/team/app", result.Reason, StringComparison.Ordinal);
    }
}
