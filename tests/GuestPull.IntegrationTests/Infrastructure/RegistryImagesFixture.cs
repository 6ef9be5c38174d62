using GuestPull.Testing;

namespace GuestPull.IntegrationTests.Infrastructure;

/// <summary>
/// One plain-HTTP docker-registry holding the images the registry-client tests inspect, built once
/// with umoci and pushed with skopeo: a three-layer OCI image, its Docker v2s2 copy, a zstd copy,
/// and a two-platform index.
/// </summary>
public sealed class RegistryImagesFixture : IAsyncLifetime
{
    public const string MultiLayer = "test/multi:1";
    public const string DockerV2S2 = "test/v2s2:1";
    public const string Zstd = "test/zstd:1";
    public const string MultiPlatform = "test/multiarch:1";

    private TempDirectory? _directory;

    public RegistryInstance Registry { get; private set; } = null!;

    /// <summary>
    /// A second registry for the zstd copy: skopeo 1.9 reuses a layer it already pushed gzip-compressed
    /// to the same registry, so the zstd variant needs a registry that has not seen the layers.
    /// </summary>
    public RegistryInstance ZstdRegistry { get; private set; } = null!;

    public RegistryInstance RegistryFor(string repoAndTag) => repoAndTag == Zstd ? ZstdRegistry : Registry;

    public string LayoutDirectory => _directory!.Combine("layout");

    public string Host => Registry.Host;

    public string Ref(string repoAndTag) => RegistryFor(repoAndTag).Host + "/" + repoAndTag;

    public async Task InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var ct = timeout.Token;
        _directory = TempDirectory.Create("registry-images");
        Registry = await RegistryInstance.StartAsync(new RegistryOptions { Name = "images" }, ct);
        ZstdRegistry = await RegistryInstance.StartAsync(new RegistryOptions { Name = "zstd-images" }, ct);

        await ImageBuilder.BuildBusyboxAsync(LayoutDirectory, "multi", new ImageConfigOptions
        {
            Cmd = ["echo", "hello"],
            Env = ["PATH=/bin", "GREETING=hello world"],
            WorkingDirectory = "/tmp",
            User = "1000:1000",
        }, ct);
        await ImageBuilder.AddLayerAsync(LayoutDirectory, "multi", root =>
        {
            Directory.CreateDirectory(Path.Combine(root, "srv"));
            File.WriteAllText(Path.Combine(root, "srv", "data.txt"), new string('x', 100_000));
        }, ct);
        await ImageBuilder.AddLayerAsync(LayoutDirectory, "multi", root =>
        {
            File.Delete(Path.Combine(root, "srv", "data.txt"));
            File.WriteAllText(Path.Combine(root, "srv", "other.txt"), "second");
        }, ct);
        await ImageBuilder.MakeTwoPlatformIndexAsync(LayoutDirectory, "multi", "index", ct);

        await ImageBuilder.PushAsync(LayoutDirectory, "multi", Registry, MultiLayer, new PushOptions { Format = ManifestFormat.Oci }, ct);
        await ImageBuilder.PushAsync(LayoutDirectory, "multi", Registry, DockerV2S2, new PushOptions { Format = ManifestFormat.DockerV2S2 }, ct);
        await ImageBuilder.PushAsync(LayoutDirectory, "multi", ZstdRegistry, Zstd, new PushOptions { Format = ManifestFormat.Oci, Compression = LayerCompression.Zstd }, ct);
        await ImageBuilder.PushAsync(LayoutDirectory, "index", Registry, MultiPlatform, new PushOptions { All = true }, ct);
    }

    public async Task DisposeAsync()
    {
        if (Registry is not null)
        {
            await Registry.DisposeAsync();
        }

        if (ZstdRegistry is not null)
        {
            await ZstdRegistry.DisposeAsync();
        }

        _directory?.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class RegistryImagesCollection : ICollectionFixture<RegistryImagesFixture>
{
    public const string Name = "registry images";
}
