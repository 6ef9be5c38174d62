using System.Text.Json;
using GuestPull.Testing;

namespace GuestPull.IntegrationTests.Cdh;

/// <summary>
/// A plain-HTTP test registry with images built by umoci and pushed by skopeo (digests preserved):
/// <c>cdh/app:1</c> (busybox and one layer), <c>cdh/other:1</c> (the same two layers and one more),
/// and <c>cdh/tampered:1</c> (those and a layer of its own, whose blob is corrupted at rest).
/// </summary>
public sealed class CdhImagesFixture : IAsyncLifetime
{
    public const string App = "cdh/app:1";
    public const string Other = "cdh/other:1";
    public const string Tampered = "cdh/tampered:1";

    private TempDirectory? _directory;

    public RegistryInstance Registry { get; private set; } = null!;

    /// <summary>umoci's unpack of <see cref="Other"/>: the rootfs a pull of it must equal.</summary>
    public string OtherReferenceRootfs => _directory!.Combine("umoci-other", "rootfs");

    public IReadOnlyDictionary<string, string> ManifestDigests { get; private set; } = new Dictionary<string, string>();

    public IReadOnlyDictionary<string, IReadOnlyList<string>> LayerDigests { get; private set; } = new Dictionary<string, IReadOnlyList<string>>();

    public string Ref(string repoAndTag) => Registry.Host + "/" + repoAndTag;

    public async Task InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var ct = timeout.Token;
        _directory = TempDirectory.Create("cdh-images");
        Registry = await RegistryInstance.StartAsync(new RegistryOptions { Name = "cdh" }, ct);
        var layout = _directory.Combine("layout");
        var manifests = new Dictionary<string, string>();
        var layers = new Dictionary<string, IReadOnlyList<string>>();

        async Task PushAsync(string repoAndTag)
        {
            manifests[repoAndTag] = await ImageBuilder.PushAsync(layout, "image", Registry, repoAndTag, new PushOptions { PreserveDigests = true }, ct);
            using var manifest = JsonDocument.Parse(ImageBuilder.ReadBlob(layout, ImageBuilder.GetDigest(layout, "image")));
            layers[repoAndTag] = [.. manifest.RootElement.GetProperty("layers").EnumerateArray().Select(l => l.GetProperty("digest").GetString()!)];
        }

        await ImageBuilder.BuildBusyboxAsync(layout, "image", new ImageConfigOptions { Cmd = ["echo", "hello"], Env = ["PATH=/bin"] }, ct);
        await ImageBuilder.AddLayerAsync(layout, "image", root =>
        {
            Directory.CreateDirectory(Path.Combine(root, "srv"));
            File.WriteAllText(Path.Combine(root, "srv", "app.txt"), new string('a', 50_000));
            File.WriteAllText(Path.Combine(root, "srv", "gone.txt"), "deleted by the next layer");
        }, ct);
        await PushAsync(App);
        await ImageBuilder.AddLayerAsync(layout, "image", root =>
        {
            File.Delete(Path.Combine(root, "srv", "gone.txt"));
            File.WriteAllText(Path.Combine(root, "srv", "other.txt"), "other");
        }, ct);
        await PushAsync(Other);
        await ImageBuilder.UnpackAsync(layout, "image", _directory.Combine("umoci-other"), ct);
        await ImageBuilder.AddLayerAsync(layout, "image", root => File.WriteAllText(Path.Combine(root, "srv", "tampered.txt"), Guid.NewGuid().ToString()), ct);
        await PushAsync(Tampered);
        Registry.Storage.TamperBlob(layers[Tampered][^1]);
        ManifestDigests = manifests;
        LayerDigests = layers;
    }

    public async Task DisposeAsync()
    {
        await Registry.DisposeAsync();
        _directory?.Dispose();
    }
}
