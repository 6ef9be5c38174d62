using System.Security.Cryptography;
using System.Text.Json;
using GuestPull.IntegrationTests.Infrastructure;
using GuestPull.Testing;
using GuestPull.Testing.Traits;

namespace GuestPull.IntegrationTests.Inspect;

/// <summary><c>guestpull inspect</c> against a real docker-registry must agree with skopeo on every digest.</summary>
[Trait(Requires.Trait, Requires.Components)]
[Collection(RegistryImagesCollection.Name)]
public sealed class InspectAgreesWithSkopeoTests(RegistryImagesFixture images)
{
    [Theory]
    [InlineData(RegistryImagesFixture.MultiLayer, "application/vnd.oci.image.manifest.v1+json")]
    [InlineData(RegistryImagesFixture.DockerV2S2, "application/vnd.docker.distribution.manifest.v2+json")]
    [InlineData(RegistryImagesFixture.Zstd, "application/vnd.oci.image.manifest.v1+json")]
    public async Task JsonAgreesWithSkopeoOnEveryDigest(string repoAndTag, string mediaType)
    {
        var registry = images.RegistryFor(repoAndTag);
        var reference = images.Ref(repoAndTag);
        var result = await GuestPullCli.RunAsync("inspect", "--insecure-registry", registry.Host, "--format", "json", reference);
        CliAssert.Succeeded(result);

        var raw = await Skopeo.InspectRawAsync(registry, repoAndTag);
        var config = await Skopeo.InspectConfigAsync(registry, repoAndTag);
        using var ours = JsonDocument.Parse(result.StandardOutput);
        using var manifest = JsonDocument.Parse(raw);
        using var configJson = JsonDocument.Parse(config);
        var o = ours.RootElement;

        Assert.Equal(reference, o.GetProperty("reference").GetString());
        Assert.Equal("sha256:" + Convert.ToHexStringLower(SHA256.HashData(raw)), o.GetProperty("digest").GetString());
        Assert.Equal(mediaType, o.GetProperty("mediaType").GetString());
        Assert.Equal(manifest.RootElement.GetProperty("config").GetProperty("digest").GetString(), o.GetProperty("config").GetProperty("digest").GetString());
        Assert.Equal(manifest.RootElement.GetProperty("config").GetProperty("size").GetInt64(), o.GetProperty("config").GetProperty("size").GetInt64());
        Assert.Equal("sha256:" + Convert.ToHexStringLower(SHA256.HashData(config)), o.GetProperty("config").GetProperty("digest").GetString());

        var theirLayers = manifest.RootElement.GetProperty("layers").EnumerateArray().ToList();
        var diffIds = configJson.RootElement.GetProperty("rootfs").GetProperty("diff_ids").EnumerateArray().Select(d => d.GetString()).ToList();
        var ourLayers = o.GetProperty("layers").EnumerateArray().ToList();
        Assert.Equal(3, ourLayers.Count);
        Assert.Equal(theirLayers.Count, ourLayers.Count);
        for (var i = 0; i < ourLayers.Count; i++)
        {
            Assert.Equal(theirLayers[i].GetProperty("digest").GetString(), ourLayers[i].GetProperty("digest").GetString());
            Assert.Equal(theirLayers[i].GetProperty("size").GetInt64(), ourLayers[i].GetProperty("size").GetInt64());
            Assert.Equal(theirLayers[i].GetProperty("mediaType").GetString(), ourLayers[i].GetProperty("mediaType").GetString());
            Assert.Equal(diffIds[i], ourLayers[i].GetProperty("diffID").GetString());
        }

        var expectedPlatformArch = configJson.RootElement.GetProperty("architecture").GetString();
        Assert.Equal(expectedPlatformArch, o.GetProperty("platform").GetProperty("architecture").GetString());
        Assert.Equal("linux", o.GetProperty("platform").GetProperty("os").GetString());
        var runConfig = configJson.RootElement.GetProperty("config");
        Assert.Equal(runConfig.GetProperty("Cmd").EnumerateArray().Select(e => e.GetString()), o.GetProperty("cmd").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(runConfig.GetProperty("Env").EnumerateArray().Select(e => e.GetString()), o.GetProperty("env").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("GREETING=hello world", o.GetProperty("env").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("1000:1000", o.GetProperty("user").GetString());
        Assert.Equal("/tmp", o.GetProperty("workingDir").GetString());
        Assert.Equal(JsonValueKind.Null, o.GetProperty("entrypoint").ValueKind);
    }

    [Fact]
    public async Task ZstdLayersCarryTheZstdMediaType()
    {
        var result = await GuestPullCli.RunAsync("inspect", "--insecure-registry", images.ZstdRegistry.Host, "--format", "json", images.Ref(RegistryImagesFixture.Zstd));
        CliAssert.Succeeded(result);
        using var json = JsonDocument.Parse(result.StandardOutput);
        Assert.All(json.RootElement.GetProperty("layers").EnumerateArray(), l => Assert.Equal("application/vnd.oci.image.layer.v1.tar+zstd", l.GetProperty("mediaType").GetString()));
    }

    [Theory]
    [InlineData(RegistryImagesFixture.MultiLayer)]
    [InlineData(RegistryImagesFixture.DockerV2S2)]
    [InlineData(RegistryImagesFixture.MultiPlatform)]
    public async Task RawPrintsTheManifestBytesExactlyAsServed(string repoAndTag)
    {
        var reference = images.Ref(repoAndTag);
        var result = await GuestPullCli.RunAsync("inspect", "--insecure-registry", images.Host, "--raw", reference);
        CliAssert.Succeeded(result);
        Assert.Equal(await Skopeo.InspectRawAsync(images.Registry, repoAndTag), result.StandardOutputBytes);
    }

    [Theory]
    [InlineData(null, "amd64")]
    [InlineData("linux/amd64", "amd64")]
    [InlineData("linux/arm64", "arm64")]
    [InlineData("linux/arm64/v8", "arm64")]
    public async Task AnIndexIsFollowedToTheRequestedPlatform(string? platform, string architecture)
    {
        var reference = images.Ref(RegistryImagesFixture.MultiPlatform);
        string[] args = platform is null
            ? ["inspect", "--insecure-registry", images.Host, "--format", "json", reference]
            : ["inspect", "--insecure-registry", images.Host, "--format", "json", "--platform", platform, reference];
        var result = await GuestPullCli.RunAsync(args);
        CliAssert.Succeeded(result);

        var indexBytes = await Skopeo.InspectRawAsync(images.Registry, RegistryImagesFixture.MultiPlatform);
        using var index = JsonDocument.Parse(indexBytes);
        var entry = index.RootElement.GetProperty("manifests").EnumerateArray()
            .Single(m => m.GetProperty("platform").GetProperty("architecture").GetString() == architecture);
        using var ours = JsonDocument.Parse(result.StandardOutput);
        Assert.Equal(entry.GetProperty("digest").GetString(), ours.RootElement.GetProperty("digest").GetString());
        Assert.Equal("sha256:" + Convert.ToHexStringLower(SHA256.HashData(indexBytes)), ours.RootElement.GetProperty("indexDigest").GetString());
        Assert.Equal(architecture, ours.RootElement.GetProperty("platform").GetProperty("architecture").GetString());

        var text = await GuestPullCli.RunAsync(platform is null
            ? ["inspect", "--insecure-registry", images.Host, reference]
            : ["inspect", "--insecure-registry", images.Host, "--platform", platform, reference]);
        CliAssert.Succeeded(text);
        Assert.Contains("picked linux/" + architecture, text.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnIndexWithoutTheRequestedPlatformSaysWhatItOffers()
    {
        var result = await GuestPullCli.RunAsync("inspect", "--insecure-registry", images.Host, "--platform", "linux/s390x", images.Ref(RegistryImagesFixture.MultiPlatform));
        CliAssert.Failed(result, 1, "no image for platform linux/s390x", "linux/amd64", "linux/arm64");
    }

    [Fact]
    public async Task TextFormatIsAReadableSummary()
    {
        var reference = images.Ref(RegistryImagesFixture.MultiLayer);
        var result = await GuestPullCli.RunAsync("inspect", "--insecure-registry", images.Host, reference);
        CliAssert.Succeeded(result);
        var raw = await Skopeo.InspectRawAsync(images.Registry, RegistryImagesFixture.MultiLayer);
        Assert.Contains(reference, result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("sha256:" + Convert.ToHexStringLower(SHA256.HashData(raw)), result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("3 layers", result.StandardOutput, StringComparison.Ordinal);
    }
}
