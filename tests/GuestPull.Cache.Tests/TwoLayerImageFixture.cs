using System.Security.Cryptography;
using System.Text.Json;
using GuestPull.Testing;

namespace GuestPull.Cache.Tests;

/// <summary>A busybox image with a second layer of 2 MiB of random bytes, built once with umoci into an OCI layout.</summary>
public sealed class TwoLayerImageFixture : IAsyncLifetime
{
    public const string Tag = "1";

    private TempDirectory? _directory;

    public string LayoutDirectory => _directory?.Combine("layout") ?? throw new InvalidOperationException("The fixture is not initialized.");

    public string ManifestDigest { get; private set; } = string.Empty;

    public string ConfigDigest { get; private set; } = string.Empty;

    public IReadOnlyList<string> LayerDigests { get; private set; } = [];

    /// <summary>The config and the layers: every blob a pull fetches.</summary>
    public IReadOnlyList<string> BlobDigests => [ConfigDigest, .. LayerDigests];

    public async Task InitializeAsync()
    {
        _directory = TempDirectory.Create("cache-image");
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await ImageBuilder.BuildBusyboxAsync(LayoutDirectory, Tag, new ImageConfigOptions { Cmd = ["sh"] }, timeout.Token);
        await ImageBuilder.AddLayerAsync(LayoutDirectory, Tag, rootfs => File.WriteAllBytes(Path.Combine(rootfs, "random.bin"), RandomNumberGenerator.GetBytes(2 << 20)), timeout.Token);
        ManifestDigest = ImageBuilder.GetDigest(LayoutDirectory, Tag);
        using var manifest = JsonDocument.Parse(ImageBuilder.ReadBlob(LayoutDirectory, ManifestDigest));
        ConfigDigest = manifest.RootElement.GetProperty("config").GetProperty("digest").GetString()!;
        LayerDigests = [.. manifest.RootElement.GetProperty("layers").EnumerateArray().Select(l => l.GetProperty("digest").GetString()!)];
    }

    public byte[] ReadBlob(string digest) => ImageBuilder.ReadBlob(LayoutDirectory, digest);

    public Task DisposeAsync()
    {
        _directory?.Dispose();
        return Task.CompletedTask;
    }
}
