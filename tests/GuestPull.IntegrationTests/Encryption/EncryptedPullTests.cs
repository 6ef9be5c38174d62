using GuestPull.IntegrationTests.Infrastructure;
using GuestPull.Testing;
using GuestPull.Testing.Traits;

namespace GuestPull.IntegrationTests.Encryption;

/// <summary>
/// Pulls of images skopeo encrypted: each key source gives the plain image's rootfs; every missing or wrong
/// key, altered blob or HMAC fails naming the cause and leaves nothing in the store; a layer that came from
/// an encrypted blob is reused from the store only by a pull that unwraps its key.
/// </summary>
[Trait(Requires.Trait, Requires.Components)]
public sealed class EncryptedPullTests : IClassFixture<EncryptedImagesFixture>
{
    private readonly EncryptedImagesFixture _images;

    public EncryptedPullTests(EncryptedImagesFixture images) => _images = images;

    private string Host => _images.Registry.Host;

    private Task<ProcessResult> PullAsync(string root, string repoAndTag, IEnumerable<string> extra, IReadOnlyDictionary<string, string?>? environment = null)
        => GuestPullCli.RunAsync(["pull", "--root", root, "--insecure-registry", Host, "--retries", "1", .. extra, _images.Reference(repoAndTag)], environment);

    private async Task<TreeSnapshot> PulledRootfsAsync(TempDirectory work, string name, string repoAndTag, IEnumerable<string> extra, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var bundle = work.Combine("bundle-" + name);
        var result = await PullAsync(work.Combine("store-" + name), repoAndTag, [.. extra, "--bundle", bundle, "--flatten"], environment);
        CliAssert.Succeeded(result);
        Assert.Contains("1 layers downloaded", result.StandardOutput, StringComparison.Ordinal);
        return TreeSnapshot.Take(Path.Combine(bundle, "rootfs"));
    }

    private IReadOnlyDictionary<string, string?> Providers => new Dictionary<string, string?> { ["OCICRYPT_KEYPROVIDER_CONFIG"] = _images.ProviderConfig };

    private static void AssertStoreHoldsNothing(string root)
    {
        var layers = Path.Combine(root, "layers", "sha256");
        Assert.True(!Directory.Exists(layers) || !Directory.EnumerateFileSystemEntries(layers).Any(), "a layer directory was left in the store");
        var tmp = Path.Combine(root, "tmp");
        Assert.True(!Directory.Exists(tmp) || !Directory.EnumerateFileSystemEntries(tmp).Any(), "a temporary directory was left in the store");
    }

    [Fact]
    public async Task EveryKeySourceGivesThePlainImagesRootfs()
    {
        using var work = TempDirectory.Create("enc-rootfs");
        var plain = await PulledRootfsAsync(work, "plain", EncryptedImagesFixture.Plain, []);
        var keys = _images.Keys;

        TreeSnapshot.AssertEqual(plain, await PulledRootfsAsync(work, "rsa", EncryptedImagesFixture.Rsa, ["--decryption-key", keys.RsaPrivate]), "JWE RSA-OAEP");
        TreeSnapshot.AssertEqual(plain, await PulledRootfsAsync(work, "ec", EncryptedImagesFixture.Ec, ["--decryption-key", keys.EcPrivate]), "JWE ECDH-ES+A256KW");
        Assert.Equal("application/vnd.oci.image.layer.v1.tar+zstd+encrypted", await _images.LayerMediaTypeAsync(EncryptedImagesFixture.Zstd));
        TreeSnapshot.AssertEqual(plain, await PulledRootfsAsync(work, "zstd", EncryptedImagesFixture.Zstd, ["--decryption-key", keys.RsaPrivate]), "zstd layer, JWE RSA-OAEP");
        TreeSnapshot.AssertEqual(plain, await PulledRootfsAsync(work, "rsa-password", EncryptedImagesFixture.Rsa, ["--decryption-key", keys.RsaEncrypted + ":pass=" + keys.Password]), "encrypted PKCS#8 key");
        TreeSnapshot.AssertEqual(plain, await PulledRootfsAsync(work, "second", EncryptedImagesFixture.TwoRecipients, ["--decryption-key", keys.OtherPrivate, "--decryption-key", keys.SecondPrivate]), "second of two recipients");
        TreeSnapshot.AssertEqual(plain, await PulledRootfsAsync(work, "cmd", EncryptedImagesFixture.Cmd, [], Providers), "cmd key provider");
        var unwraps = _images.GrpcProvider.Keys.Unwraps;
        TreeSnapshot.AssertEqual(plain, await PulledRootfsAsync(work, "grpc", EncryptedImagesFixture.Grpc, [], Providers), "gRPC key provider");
        Assert.True(_images.GrpcProvider.Keys.Unwraps > unwraps, "the gRPC provider was not asked");
    }

    [Fact]
    public async Task InspectNamesEncryptedLayersAndTheirRecipients()
    {
        var result = await GuestPullCli.RunAsync("inspect", "--insecure-registry", Host, "--format", "json", _images.Reference(EncryptedImagesFixture.TwoRecipients));
        CliAssert.Succeeded(result);
        Assert.Contains("\"encrypted\": true", result.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(2, result.StandardOutput.Split("jwe RSA-OAEP").Length - 1);

        var providers = await GuestPullCli.RunAsync("inspect", "--insecure-registry", Host, _images.Reference(EncryptedImagesFixture.Cmd));
        CliAssert.Succeeded(providers);
        Assert.Contains("encrypted for  provider " + CommandKeyProvider.Name, providers.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithoutAUsableKeyThePullFailsBeforeDownloadingNamingLayerRecipientsAndKeys()
    {
        using var work = TempDirectory.Create("enc-nokey");
        var layer = await _images.LayerDigestAsync(EncryptedImagesFixture.Ec);
        await _images.Registry.SyncAccessLogAsync(CancellationToken.None);
        var before = await _images.Registry.CountBlobGetsAsync(layer, CancellationToken.None);

        var none = await PullAsync(work.Combine("store"), EncryptedImagesFixture.Ec, []);
        CliAssert.Failed(none, 1, layer, "jwe ECDH-ES+A256KW P-256", "no --decryption-key");

        var wrong = await PullAsync(work.Combine("store"), EncryptedImagesFixture.Ec, ["--decryption-key", _images.Keys.OtherPrivate, "--decryption-key", _images.Keys.RsaPrivate]);
        CliAssert.Failed(wrong, 1, layer, "jwe ECDH-ES+A256KW P-256", _images.Keys.OtherPrivate, _images.Keys.RsaPrivate);

        var badPassword = await PullAsync(work.Combine("store"), EncryptedImagesFixture.Rsa, ["--decryption-key", _images.Keys.RsaEncrypted + ":wrong"]);
        CliAssert.Failed(badPassword, 1, "wrong password");

        var providerWithoutSecret = _images.CommandProvider.SecretPath + ".away";
        File.Move(_images.CommandProvider.SecretPath, providerWithoutSecret);
        try
        {
            var failed = await PullAsync(work.Combine("store"), EncryptedImagesFixture.Cmd, [], Providers);
            CliAssert.Failed(failed, 1, "provider " + CommandKeyProvider.Name, "no secret on this node");
        }
        finally
        {
            File.Move(providerWithoutSecret, _images.CommandProvider.SecretPath);
        }

        await _images.Registry.SyncAccessLogAsync(CancellationToken.None);
        Assert.Equal(before, await _images.Registry.CountBlobGetsAsync(layer, CancellationToken.None));
        AssertStoreHoldsNothing(work.Combine("store"));
    }

    [Fact]
    public async Task AnAlteredEncryptedBlobFailsOnItsDigestAndLeavesNothing()
    {
        using var work = TempDirectory.Create("enc-tampered");
        _images.Registry.Storage.TamperBlob(await _images.LayerDigestAsync(EncryptedImagesFixture.Tampered));

        var result = await PullAsync(work.Combine("store"), EncryptedImagesFixture.Tampered, ["--decryption-key", _images.Keys.RsaPrivate]);

        CliAssert.Failed(result, 1, "digest mismatch");
        AssertStoreHoldsNothing(work.Combine("store"));
    }

    [Theory]
    [InlineData(EncryptedImagesFixture.BadHmac)]
    [InlineData(EncryptedImagesFixture.BadHmacZstd)]
    public async Task ABlobWhoseHmacDoesNotMatchFailsAndLeavesNothing(string image)
    {
        using var work = TempDirectory.Create("enc-hmac");

        var result = await PullAsync(work.Combine("store"), image, ["--decryption-key", _images.Keys.RsaPrivate]);

        CliAssert.Failed(result, 1, "guestpull: error: layer sha256:", "HMAC does not match");
        Assert.DoesNotContain("Unhandled exception", result.StandardError, StringComparison.Ordinal);
        AssertStoreHoldsNothing(work.Combine("store"));
        var images = await GuestPullCli.RunAsync("images", "--root", work.Combine("store"));
        Assert.DoesNotContain("badhmac", images.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ACachedDecryptedLayerServesOnlyPullsThatUnwrapItsKey()
    {
        using var work = TempDirectory.Create("enc-cache");
        var root = work.Combine("store");
        CliAssert.Succeeded(await PullAsync(root, EncryptedImagesFixture.Rsa, ["--decryption-key", _images.Keys.RsaPrivate]));

        // The same image again with its key: the store serves it.
        var again = await PullAsync(root, EncryptedImagesFixture.Rsa, ["--decryption-key", _images.Keys.RsaPrivate]);
        CliAssert.Succeeded(again);
        Assert.Contains("0 layers downloaded, 1 cached", again.StandardOutput, StringComparison.Ordinal);

        // Without the key, or with another one, the cached layer is not reachable.
        CliAssert.Failed(await PullAsync(root, EncryptedImagesFixture.Rsa, []), 1, "no usable key");
        CliAssert.Failed(await PullAsync(root, EncryptedImagesFixture.Rsa, ["--decryption-key", _images.Keys.EcPrivate]), 1, "no usable key");

        // A manifest claiming a plain blob for the same DiffID must fetch that blob, not get the cached layer.
        CliAssert.Failed(await PullAsync(root, EncryptedImagesFixture.PlainDescriptor, []), 1, "sha256:" + new string('1', 64));

        // Another encryption of the same layer (another layer key) proves itself by downloading once.
        var ec = await PullAsync(root, EncryptedImagesFixture.Ec, ["--decryption-key", _images.Keys.EcPrivate]);
        CliAssert.Succeeded(ec);
        Assert.Contains("1 layers downloaded", ec.StandardOutput, StringComparison.Ordinal);
        var ecAgain = await PullAsync(root, EncryptedImagesFixture.Ec, ["--decryption-key", _images.Keys.EcPrivate]);
        Assert.Contains("0 layers downloaded, 1 cached", ecAgain.StandardOutput, StringComparison.Ordinal);
    }
}
