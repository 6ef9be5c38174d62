using System.Security.Cryptography;
using GuestPull.IntegrationTests.Infrastructure;
using GuestPull.Oci.Model;
using GuestPull.Oci.Registry;
using GuestPull.Oci.Registry.Configuration;
using GuestPull.Testing;
using GuestPull.Testing.Traits;

namespace GuestPull.IntegrationTests.Registry;

/// <summary>Dropped connections, server errors and Retry-After, through a fault proxy in front of a real registry.</summary>
[Trait(Requires.Trait, Requires.Components)]
[Collection(RegistryImagesCollection.Name)]
public sealed class RegistryClientResilienceTests(RegistryImagesFixture images)
{
    private static CancellationToken Timeout => new CancellationTokenSource(TimeSpan.FromMinutes(3)).Token;

    private static RegistryClient ClientFor(string host, int maxAttempts = 5) => new(new RegistryClientOptions
    {
        Registries = RegistriesConfiguration.Empty.WithInsecureRegistries([host]),
        RetryBaseDelay = TimeSpan.FromMilliseconds(50),
        MaxAttempts = maxAttempts,
    });

    private static async Task<byte[]> ReadAllAsync(Stream stream)
    {
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy, Timeout);
        return copy.ToArray();
    }

    [Fact]
    public async Task ABlobDownloadResumesAfterTheConnectionDropsAndStillVerifies()
    {
        await using var proxy = await FaultProxy.StartAsync(images.Registry, Timeout);
        using var client = ClientFor(proxy.Host);
        var reference = ImageReference.Parse(proxy.Host + "/" + RegistryImagesFixture.MultiLayer);
        var image = await client.ResolveImageAsync(reference, null, Timeout);
        var layer = image.Manifest.Layers.OrderByDescending(l => l.Size).First();
        Assert.True(layer.Size > 200_000, $"the biggest layer is only {layer.Size} bytes");

        proxy.DropAfterBytes("/blobs/" + layer.Digest, 100_000, times: 2);
        await using var stream = await client.OpenBlobAsync(reference, layer, Timeout);
        var bytes = await ReadAllAsync(stream);

        Assert.Equal(layer.Size, bytes.Length);
        Assert.Equal(layer.Digest.ToString(), "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes)));
        var ranges = proxy.Requests.Where(r => r.Path.EndsWith(layer.Digest.ToString(), StringComparison.Ordinal)).Select(r => r.Range).ToList();
        Assert.Equal(3, ranges.Count);
        Assert.Null(ranges[0]);
        Assert.Equal("bytes=100000-", ranges[1]);
        Assert.Equal("bytes=200000-", ranges[2]);
    }

    [Fact]
    public async Task ARegistryThatKeepsDroppingTheConnectionFailsWithAClearError()
    {
        await using var proxy = await FaultProxy.StartAsync(images.Registry, Timeout);
        using var client = ClientFor(proxy.Host, maxAttempts: 2);
        var reference = ImageReference.Parse(proxy.Host + "/" + RegistryImagesFixture.MultiLayer);
        var image = await client.ResolveImageAsync(reference, null, Timeout);
        var layer = image.Manifest.Layers.OrderByDescending(l => l.Size).First();

        proxy.DropAfterBytes("/blobs/" + layer.Digest, 1000, times: int.MaxValue);
        await using var stream = await client.OpenBlobAsync(reference, layer, Timeout);
        var ex = await Assert.ThrowsAsync<RegistryException>(() => ReadAllAsync(stream));
        Assert.Contains("blob " + layer.Digest, ex.Message, StringComparison.Ordinal);

        // --retries 2 (two attempts) bounds the resumes too: the download and one resume.
        Assert.Contains("at byte 2000 of " + layer.Size + " after 1 resume (at most 1: the retry limit)", ex.Message, StringComparison.Ordinal);
        Assert.Equal(2, proxy.Requests.Count(r => r.Path.EndsWith(layer.Digest.ToString(), StringComparison.Ordinal)));
    }

    [Fact]
    public async Task ABlobShorterThanItsDescriptorIsNamedTruncated()
    {
        using var client = ClientFor(images.Registry.Host);
        var reference = ImageReference.Parse(images.Registry.Host + "/" + RegistryImagesFixture.MultiLayer);
        var image = await client.ResolveImageAsync(reference, null, Timeout);
        var layer = image.Manifest.Layers[0];

        // The registry holds the real blob; a descriptor that claims 1000 bytes more finds it short, and
        // docker-registry answers the resume past its end with 416.
        var claimed = layer with { Size = layer.Size + 1000 };
        await using var stream = await client.OpenBlobAsync(reference, claimed, Timeout);
        var ex = await Assert.ThrowsAsync<ContentVerificationException>(() => ReadAllAsync(stream));

        Assert.Contains($"truncated blob: {images.Registry.Host} has only {layer.Size} of the {claimed.Size} bytes its descriptor declares", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServerErrorsAreRetriedHonouringRetryAfter()
    {
        await using var proxy = await FaultProxy.StartAsync(images.Registry, Timeout);
        proxy.ReplaceResponse("/manifests/", 503, new Dictionary<string, string> { ["Retry-After"] = "1" }, "busy"u8.ToArray(), times: 1);
        proxy.ReplaceResponse("/blobs/", 429, new Dictionary<string, string> { ["Retry-After"] = "0" }, [], times: 1);
        using var client = ClientFor(proxy.Host);
        var reference = ImageReference.Parse(proxy.Host + "/" + RegistryImagesFixture.MultiLayer);

        var image = await client.ResolveImageAsync(reference, null, Timeout);

        Assert.Equal(3, image.Manifest.Layers.Count);
        Assert.Equal(2, proxy.Requests.Count(r => r.Path.Contains("/manifests/", StringComparison.Ordinal)));
        Assert.Equal(2, proxy.Requests.Count(r => r.Path.Contains("/blobs/", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task PersistentServerErrorsGiveUpNamingTheStatus()
    {
        await using var proxy = await FaultProxy.StartAsync(images.Registry, Timeout);
        proxy.ReplaceResponse("/manifests/", 500, null, "{\"errors\":[{\"code\":\"UNKNOWN\",\"message\":\"disk on fire\"}]}"u8.ToArray());
        using var client = ClientFor(proxy.Host, maxAttempts: 3);
        var reference = ImageReference.Parse(proxy.Host + "/" + RegistryImagesFixture.MultiLayer);

        var ex = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync(reference, Timeout));
        Assert.Contains("answered 500", ex.Message, StringComparison.Ordinal);
        Assert.Contains("disk on fire", ex.Message, StringComparison.Ordinal);
        Assert.Equal(3, proxy.Requests.Count(r => r.Path.Contains("/manifests/", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task AManifestWhoseDockerContentDigestDisagreesIsRefused()
    {
        await using var proxy = await FaultProxy.StartAsync(images.Registry, Timeout);
        var manifest = await Skopeo.InspectRawAsync(images.Registry, RegistryImagesFixture.MultiLayer);
        proxy.ReplaceResponse("/manifests/", 200, new Dictionary<string, string>
        {
            ["Content-Type"] = "application/vnd.oci.image.manifest.v1+json",
            ["Docker-Content-Digest"] = "sha256:" + new string('0', 64),
        }, manifest);
        using var client = ClientFor(proxy.Host);

        var ex = await Assert.ThrowsAsync<ContentVerificationException>(() => client.GetManifestAsync(ImageReference.Parse(proxy.Host + "/" + RegistryImagesFixture.MultiLayer), Timeout));
        Assert.Contains("Docker-Content-Digest says sha256:000", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ABlobLongerThanItsDescriptorIsCutOff()
    {
        await using var proxy = await FaultProxy.StartAsync(images.Registry, Timeout);
        using var client = ClientFor(proxy.Host);
        var reference = ImageReference.Parse(proxy.Host + "/" + RegistryImagesFixture.MultiLayer);
        var image = await client.ResolveImageAsync(reference, null, Timeout);
        var layer = image.Manifest.Layers[0];
        proxy.ReplaceResponse("/blobs/" + layer.Digest, 200, new Dictionary<string, string> { ["Content-Type"] = "application/octet-stream" }, new byte[layer.Size + 10]);

        await using var stream = await client.OpenBlobAsync(reference, layer, Timeout);
        var ex = await Assert.ThrowsAsync<ContentVerificationException>(() => ReadAllAsync(stream));
        Assert.Contains("more than the " + layer.Size + " bytes", ex.Message, StringComparison.Ordinal);
    }
}
