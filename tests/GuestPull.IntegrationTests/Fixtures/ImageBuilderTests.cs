using System.Security.Cryptography;
using System.Text.Json;
using GuestPull.Testing;
using GuestPull.Testing.Traits;

namespace GuestPull.IntegrationTests.Fixtures;

/// Images built with umoci and pushed with skopeo look the way later tests rely on.
[Trait(Requires.Trait, Requires.Components)]
public sealed class ImageBuilderTests(BusyboxImageFixture image) : IClassFixture<BusyboxImageFixture>
{
    [Fact]
    public async Task V2s2Push_ServesADockerSchema2ManifestWithTheSameLayers()
    {
        await using var registry = await RegistryInstance.StartAsync(new RegistryOptions { Name = "v2s2" }, CancellationToken.None);

        var digest = await ImageBuilder.PushAsync(image.LayoutDirectory, BusyboxImageFixture.Tag, registry, "smoke/v2s2:1", new PushOptions { Format = ManifestFormat.DockerV2S2 });
        var raw = await Skopeo.InspectRawAsync(registry, "smoke/v2s2:1");
        var config = await Skopeo.InspectConfigAsync(registry, "smoke/v2s2:1");
        using var manifest = JsonDocument.Parse(raw);
        using var source = JsonDocument.Parse(ImageBuilder.ReadBlob(image.LayoutDirectory, image.ManifestDigest));

        Assert.Equal(digest, Sha256(raw));
        Assert.Equal("application/vnd.docker.distribution.manifest.v2+json", manifest.RootElement.GetProperty("mediaType").GetString());
        Assert.Equal("application/vnd.docker.image.rootfs.diff.tar.gzip", manifest.RootElement.GetProperty("layers")[0].GetProperty("mediaType").GetString());
        Assert.Equal(
            source.RootElement.GetProperty("layers")[0].GetProperty("digest").GetString(),
            manifest.RootElement.GetProperty("layers")[0].GetProperty("digest").GetString());
        Assert.Equal(manifest.RootElement.GetProperty("config").GetProperty("digest").GetString(), Sha256(config));
    }

    [Fact]
    public async Task TwoPlatformIndex_ListsAmd64AndArm64WithMatchingConfigs()
    {
        using var work = TempDirectory.Create("index");
        var layout = image.CopyLayoutTo(work.Combine("layout"));
        var indexDigest = await ImageBuilder.MakeTwoPlatformIndexAsync(layout, BusyboxImageFixture.Tag, "multi");
        await using var registry = await RegistryInstance.StartAsync(new RegistryOptions { Name = "index" }, CancellationToken.None);

        var pushed = await ImageBuilder.PushAsync(layout, "multi", registry, "smoke/multi:1", new PushOptions { All = true });
        var raw = await Skopeo.InspectRawAsync(registry, "smoke/multi:1");
        var arm64 = await Skopeo.InspectConfigAsync(registry, "smoke/multi:1", new SkopeoOptions { Architecture = "arm64", Os = "linux" });
        var amd64 = await Skopeo.InspectConfigAsync(registry, "smoke/multi:1", new SkopeoOptions { Architecture = "amd64", Os = "linux" });
        using var index = JsonDocument.Parse(raw);
        var entries = index.RootElement.GetProperty("manifests").EnumerateArray().ToList();

        Assert.Equal(indexDigest, pushed);
        Assert.Equal(indexDigest, Sha256(raw));
        Assert.Equal("application/vnd.oci.image.index.v1+json", index.RootElement.GetProperty("mediaType").GetString());
        Assert.Equal(["amd64", "arm64"], entries.Select(e => e.GetProperty("platform").GetProperty("architecture").GetString()));
        Assert.Equal(image.ManifestDigest, entries[0].GetProperty("digest").GetString());
        Assert.Equal("arm64", JsonDocument.Parse(arm64).RootElement.GetProperty("architecture").GetString());
        Assert.Equal("amd64", JsonDocument.Parse(amd64).RootElement.GetProperty("architecture").GetString());
    }

    [Fact]
    public async Task ZstdPush_UsesZstdLayers()
    {
        await using var registry = await RegistryInstance.StartAsync(new RegistryOptions { Name = "zstd" }, CancellationToken.None);

        await ImageBuilder.PushAsync(image.LayoutDirectory, BusyboxImageFixture.Tag, registry, "smoke/zstd:1", new PushOptions { Compression = LayerCompression.Zstd });
        using var manifest = JsonDocument.Parse(await Skopeo.InspectRawAsync(registry, "smoke/zstd:1"));
        var layer = manifest.RootElement.GetProperty("layers")[0];
        var blob = File.ReadAllBytes(registry.Storage.BlobDataPath(layer.GetProperty("digest").GetString()!));

        Assert.Equal("application/vnd.oci.image.layer.v1.tar+zstd", layer.GetProperty("mediaType").GetString());
        Assert.Equal([0x28, 0xB5, 0x2F, 0xFD], blob[..4]); // the zstd frame magic
    }

    [Fact]
    public async Task ZstdWithDockerFormat_IsRejectedWithAClearMessage()
    {
        await using var registry = await RegistryInstance.StartAsync(new RegistryOptions { Name = "zstd-v2s2" }, CancellationToken.None);

        var error = await Assert.ThrowsAsync<ArgumentException>(() => ImageBuilder.PushAsync(
            image.LayoutDirectory, BusyboxImageFixture.Tag, registry, "smoke/x:1",
            new PushOptions { Compression = LayerCompression.Zstd, Format = ManifestFormat.DockerV2S2 }));

        Assert.Contains("zstd", error.Message);
    }

    [Fact]
    public async Task BusyboxWithConfigAndExtraLayer_HasBothLayersAndTheConfig()
    {
        using var work = TempDirectory.Create("layers");
        var layout = work.Combine("layout");
        await ImageBuilder.BuildBusyboxAsync(layout, "app", new ImageConfigOptions
        {
            Entrypoint = ["/bin/sh", "-c"],
            Cmd = ["echo hello"],
            Env = ["GREETING=hi"],
            User = "1000:1000",
            WorkingDirectory = "/home/user",
            Labels = new Dictionary<string, string> { ["org.example.test"] = "yes" },
        });
        await ImageBuilder.AddLayerAsync(layout, "app", rootfs =>
        {
            File.WriteAllText(Path.Combine(rootfs, "etc", "motd"), "second layer\n");
            File.Delete(Path.Combine(rootfs, "etc", "group"));
        });
        var manifest = JsonDocument.Parse(ImageBuilder.ReadBlob(layout, ImageBuilder.GetDigest(layout, "app"))).RootElement;
        var configBlob = ImageBuilder.ReadBlob(layout, manifest.GetProperty("config").GetProperty("digest").GetString()!);
        var config = JsonDocument.Parse(configBlob).RootElement.GetProperty("config");
        var unpacked = work.Combine("unpacked");
        await ProcessRunner.RunAsync("umoci", ["unpack", "--image", $"{layout}:app", unpacked]);
        var rootfs = Path.Combine(unpacked, "rootfs");

        Assert.Equal(2, manifest.GetProperty("layers").GetArrayLength());
        Assert.Equal(["/bin/sh", "-c"], config.GetProperty("Entrypoint").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["echo hello"], config.GetProperty("Cmd").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("GREETING=hi", config.GetProperty("Env").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains(config.GetProperty("Env").EnumerateArray(), e => e.GetString()!.StartsWith("PATH=", StringComparison.Ordinal));
        Assert.Equal("1000:1000", config.GetProperty("User").GetString());
        Assert.Equal("/home/user", config.GetProperty("WorkingDir").GetString());
        Assert.Equal("yes", config.GetProperty("Labels").GetProperty("org.example.test").GetString());
        Assert.Equal("second layer\n", File.ReadAllText(Path.Combine(rootfs, "etc", "motd")));
        Assert.False(File.Exists(Path.Combine(rootfs, "etc", "group")));
        Assert.Equal("busybox", new FileInfo(Path.Combine(rootfs, "bin", "sh")).LinkTarget);
        Assert.Contains("user:x:1000:1000", File.ReadAllText(Path.Combine(rootfs, "etc", "passwd")));
        var echo = await ProcessRunner.RunAsync(Path.Combine(rootfs, "bin", "busybox"), ["echo", "runs"]);
        Assert.Equal("runs\n", echo.StandardOutput);
    }

    private static string Sha256(byte[] data) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(data));
}
