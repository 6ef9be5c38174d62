using System.Text.Json;
using GuestPull.Testing;

namespace GuestPull.IntegrationTests.Policy;

/// <summary>
/// One docker-registry with images signed every way the policy tests need: GPG simple signatures
/// written by skopeo --sign-by into a file lookaside (named by a registries.d file), and
/// cosign-format signatures attached as sha256-&lt;hex&gt;.sig tags, each by a trusted or an
/// untrusted key, plus unsigned, swapped, moved, corrupted and multi-platform cases.
/// </summary>
public sealed class SignedImagesFixture : IAsyncLifetime
{
    private TempDirectory _directory = null!;

    public RegistryInstance Registry { get; private set; } = null!;

    public GpgKey TrustedGpg { get; private set; } = null!;

    public GpgKey OtherGpg { get; private set; } = null!;

    public CosignKey TrustedCosign { get; } = new();

    public CosignKey OtherCosign { get; } = new();

    public string Layout => _directory.Combine("layout");

    public string RegistriesD => _directory.Combine("registries.d");

    public string Lookaside => _directory.Combine("lookaside");

    public string TrustedCosignKeyPath => _directory.Combine("cosign-trusted.pub");

    /// <summary>Manifest digest of image "a" as pushed (the same in every repository).</summary>
    public string DigestA { get; private set; } = string.Empty;

    /// <summary>Manifest digest of gpg/signed:1 as skopeo pushed and signed it.</summary>
    public string GpgSignedDigest { get; private set; } = string.Empty;

    /// <summary>Manifest digest of image "b" (another config) as pushed.</summary>
    public string DigestB { get; private set; } = string.Empty;

    public string IndexDigest { get; private set; } = string.Empty;

    public string Host => Registry.Host;

    /// <summary>A registry name that only resolves through registries.conf, with this registry as its mirror.</summary>
    public string OriginName => "signed.invalid:5000";

    /// <summary>registries.conf making <see cref="Registry"/> the mirror of <see cref="OriginName"/>.</summary>
    public string MirrorRegistriesConf()
    {
        var path = Path.Combine(_directory.CreateSubdirectory("registries-conf"), "registries.conf");
        File.WriteAllText(path, $"unqualified-search-registries = []\n\n[[registry]]\nlocation = \"{OriginName}\"\ninsecure = true\n\n[[registry.mirror]]\nlocation = \"{Host}\"\ninsecure = true\n");
        return path;
    }

    public string Ref(string repoAndTag) => Host + "/" + repoAndTag;

    public string WorkDirectory(string name) => _directory.CreateSubdirectory("work", name + "-" + Guid.NewGuid().ToString("N")[..8]);

    public async Task InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        var ct = timeout.Token;
        _directory = TempDirectory.Create("signed-images");
        Registry = await RegistryInstance.StartAsync(new RegistryOptions { Name = "signed" }, ct);
        TrustedGpg = await GpgKey.CreateAsync("Trusted Publisher", ct);
        OtherGpg = await GpgKey.CreateAsync("Other Publisher", ct);
        await TrustedCosign.WritePublicKeyAsync(TrustedCosignKeyPath, ct);
        Directory.CreateDirectory(Lookaside);
        SkopeoSigning.WriteRegistriesD(RegistriesD, Lookaside);

        await ImageBuilder.BuildBusyboxAsync(Layout, "a", new ImageConfigOptions { Cmd = ["echo", "a"] }, ct);
        await ImageBuilder.BuildBusyboxAsync(Layout, "b", new ImageConfigOptions { Cmd = ["echo", "b"] }, ct);
        await ImageBuilder.MakeTwoPlatformIndexAsync(Layout, "a", "idx", ct);

        // GPG simple signing through skopeo.
        DigestA = ImageBuilder.GetDigest(Layout, "a");
        GpgSignedDigest = await SkopeoSigning.PushSignedAsync(Layout, "a", Registry, "gpg/signed:1", TrustedGpg, RegistriesD, ct);
        await SkopeoSigning.PushSignedAsync(Layout, "a", Registry, "gpg/other:1", OtherGpg, RegistriesD, ct);

        // Unsigned and cosign-format images (--preserve-digests: every copy of "a" has the layout's digest).
        var plain = new PushOptions { PreserveDigests = true };
        Assert.Equal(DigestA, await ImageBuilder.PushAsync(Layout, "a", Registry, "unsigned/app:1", plain, ct));
        DigestB = await ImageBuilder.PushAsync(Layout, "b", Registry, "cosign/swapped:1", plain, ct);
        Assert.NotEqual(DigestA, DigestB);
        foreach (var repo in new[] { "cosign/signed", "cosign/other", "cosign/moved", "cosign/corrupt", "cosign/copy", "cosign/mirrored", "cosign/mirrorname" })
        {
            Assert.Equal(DigestA, await ImageBuilder.PushAsync(Layout, "a", Registry, repo + ":1", plain, ct));
        }

        AttachCosign("cosign/signed", DigestA, TrustedCosign, "cosign/signed:1");
        AttachCosign("cosign/other", DigestA, OtherCosign, "cosign/other:1");

        // A signature made for image a, presented as image b's.
        AttachCosign("cosign/swapped", DigestB, TrustedCosign, "cosign/swapped:1", signedDigest: DigestA);

        // Signed, then the tag moved to another manifest.
        AttachCosign("cosign/moved", DigestA, TrustedCosign, "cosign/moved:1");
        Assert.Equal(DigestB, await ImageBuilder.PushAsync(Layout, "b", Registry, "cosign/moved:b", plain, ct));
        Registry.Storage.LinkTag("cosign/moved", "1", DigestB);

        // Signed, then the signature payload blob corrupted at rest.
        var corrupt = AttachCosign("cosign/corrupt", DigestA, TrustedCosign, "cosign/corrupt:1");
        Registry.Storage.TamperBlob(corrupt.PayloadDigests[0]);

        // Another repository carrying a signature that names cosign/signed:1 (for identity rules).
        AttachCosign("cosign/copy", DigestA, TrustedCosign, "cosign/signed:1");

        // Served through a mirror: signed under the canonical name, or (wrongly) under the mirror's.
        var payload = CosignKey.Payload(OriginName + "/cosign/mirrored:1", DigestA);
        CosignAttachment.Attach(Registry, "cosign/mirrored", DigestA, (payload, TrustedCosign.Sign(payload)));
        AttachCosign("cosign/mirrorname", DigestA, TrustedCosign, "cosign/mirrorname:1");

        // A tag that was never signed, for the same signed manifest.
        Registry.Storage.LinkTag("cosign/signed", "2", DigestA);

        // GPG: a signature copied to another image's lookaside place, and a tag moved after signing.
        Assert.Equal(DigestB, await ImageBuilder.PushAsync(Layout, "b", Registry, "gpg/swapped:1", plain, ct));
        var swapped = Directory.CreateDirectory(Path.Combine(Lookaside, "gpg", "swapped@sha256=" + DigestB[7..])).FullName;
        File.Copy(Path.Combine(Lookaside, "gpg", "signed@sha256=" + GpgSignedDigest[7..], "signature-1"), Path.Combine(swapped, "signature-1"));
        await SkopeoSigning.PushSignedAsync(Layout, "a", Registry, "gpg/moved:1", TrustedGpg, RegistriesD, ct);
        Assert.Equal(DigestB, await ImageBuilder.PushAsync(Layout, "b", Registry, "gpg/moved:b", plain, ct));
        Registry.Storage.LinkTag("gpg/moved", "1", DigestB);

        // Multi-platform: one copy signed at the index, one at the amd64 manifest.
        var all = new PushOptions { All = true, PreserveDigests = true };
        IndexDigest = await ImageBuilder.PushAsync(Layout, "idx", Registry, "cosign/index:1", all, ct);
        Assert.Equal(IndexDigest, await ImageBuilder.PushAsync(Layout, "idx", Registry, "cosign/platform:1", all, ct));
        AttachCosign("cosign/index", IndexDigest, TrustedCosign, "cosign/index:1");
        using var index = JsonDocument.Parse(await Skopeo.InspectRawAsync(Registry, "cosign/platform:1", cancellationToken: ct));
        var amd64 = index.RootElement.GetProperty("manifests").EnumerateArray()
            .First(m => m.GetProperty("platform").GetProperty("architecture").GetString() == "amd64")
            .GetProperty("digest").GetString()!;
        AttachCosign("cosign/platform", amd64, TrustedCosign, "cosign/platform:1");
    }

    public async Task DisposeAsync()
    {
        if (Registry is not null)
        {
            await Registry.DisposeAsync();
        }

        if (TrustedGpg is not null)
        {
            await TrustedGpg.DisposeAsync();
        }

        if (OtherGpg is not null)
        {
            await OtherGpg.DisposeAsync();
        }

        TrustedCosign.Dispose();
        OtherCosign.Dispose();
        _directory?.Dispose();
    }

    /// <summary>Writes a policy file and returns its path.</summary>
    public string WritePolicy(string json)
    {
        var path = Path.Combine(_directory.CreateSubdirectory("policies"), Guid.NewGuid().ToString("N") + ".json");
        File.WriteAllText(path, json);
        return path;
    }

    public string GpgPolicy(string? identity = null) => WritePolicy(
        $"{{\"default\": [{{\"type\": \"signedBy\", \"keyType\": \"GPGKeys\", \"keyPath\": {JsonSerializer.Serialize(TrustedGpg.PublicKeyPath)}{Identity(identity)}}}]}}");

    public string CosignPolicy(string? identity = null) => WritePolicy(
        $"{{\"default\": [{{\"type\": \"sigstoreSigned\", \"keyPath\": {JsonSerializer.Serialize(TrustedCosignKeyPath)}{Identity(identity)}}}]}}");

    private static string Identity(string? identity) => identity is null ? string.Empty : $", \"signedIdentity\": {identity}";

    private (string ManifestDigest, IReadOnlyList<string> PayloadDigests) AttachCosign(string repository, string manifestDigest, CosignKey key, string signedRepoAndTag, string? signedDigest = null)
    {
        var payload = CosignKey.Payload(Ref(signedRepoAndTag), signedDigest ?? manifestDigest);
        return CosignAttachment.Attach(Registry, repository, manifestDigest, (payload, key.Sign(payload)));
    }
}

[CollectionDefinition(Name)]
public sealed class SignedImagesCollection : ICollectionFixture<SignedImagesFixture>
{
    public const string Name = "signed images";
}
