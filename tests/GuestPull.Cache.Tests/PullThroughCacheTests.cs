using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using GuestPull.Oci.Model;
using GuestPull.Oci.Registry.Auth;
using GuestPull.Testing;
using GuestPull.Testing.Traits;

namespace GuestPull.Cache.Tests;

/// <summary>Pulls through a real cache in front of a real docker-registry: what the registry serves, and what the cache refuses.</summary>
[Trait(Requires.Trait, Requires.Components)]
public sealed class PullThroughCacheTests : IClassFixture<TwoLayerImageFixture>
{
    private readonly TwoLayerImageFixture _image;

    public PullThroughCacheTests(TwoLayerImageFixture image) => _image = image;

    private static CancellationToken Timeout => new CancellationTokenSource(TimeSpan.FromMinutes(4)).Token;

    [Fact]
    public async Task TwoPullsThroughTheCacheFetchEachBlobFromTheRegistryOnce()
    {
        await using var environment = await CacheEnvironment.StartAsync(_image, Timeout);

        var first = await environment.PullAsync("store-1", Timeout);
        var second = await environment.PullAsync("store-2", Timeout);

        Assert.Equal(first, second);
        foreach (var blob in _image.BlobDigests)
        {
            Assert.Equal(1, await environment.RegistryBlobGetsAsync(blob, Timeout));
        }

        Assert.Equal(_image.BlobDigests.Count, environment.Cache.Metrics.UpstreamFetches);
        Assert.True(environment.Cache.Metrics.Hits >= _image.BlobDigests.Count, $"hits: {environment.Cache.Metrics.Hits}");
    }

    [Fact]
    public async Task ANodeCacheServesEveryRegistryWithoutARegistriesConfEntry()
    {
        await using var environment = await CacheEnvironment.StartAsync(_image, Timeout);

        var first = await environment.PullWithNodeCacheAsync("store-1", Timeout);
        var second = await environment.PullWithNodeCacheAsync("store-2", Timeout);

        Assert.Equal(first, second);
        Assert.Equal(first, await environment.PullAsync("store-3", Timeout));
        foreach (var blob in _image.BlobDigests)
        {
            Assert.Equal(1, await environment.RegistryBlobGetsAsync(blob, Timeout));
        }
    }

    [Fact]
    public async Task EightConcurrentPullsWithAnEmptyCacheFetchEachBlobOnce()
    {
        await using var environment = await CacheEnvironment.StartAsync(_image, Timeout);

        var trees = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => environment.PullAsync($"store-{i}", Timeout)));

        Assert.Single(trees.Distinct());
        foreach (var blob in _image.BlobDigests)
        {
            Assert.Equal(1, await environment.RegistryBlobGetsAsync(blob, Timeout));
        }

        Assert.Equal(_image.BlobDigests.Count, environment.Cache.Metrics.UpstreamFetches);
    }

    [Fact]
    public async Task ACachedBlobCorruptedOnDiskIsDroppedAndThePullStillSucceedsIdentically()
    {
        await using var environment = await CacheEnvironment.StartAsync(_image, Timeout);
        var clean = await environment.PullAsync("store-clean", Timeout);
        var layer = _image.LayerDigests[^1];
        var entry = environment.Cache.EntryPath(Digest.Parse(layer));
        await using (var file = new FileStream(entry, FileMode.Open, FileAccess.ReadWrite))
        {
            file.Position = file.Length / 2;
            var b = file.ReadByte();
            file.Position = file.Length / 2;
            file.WriteByte((byte)(b ^ 0xff));
        }

        var afterCorruption = await environment.PullAsync("store-corrupted", Timeout);

        Assert.Equal(clean, afterCorruption);
        Assert.Equal(1, environment.Cache.Metrics.CorruptEntries);
        var fetchedAgain = await environment.RegistryBlobGetsAsync(layer, Timeout);
        Assert.True(fetchedAgain >= 2, $"the layer was fetched from the registry {fetchedAgain} times");

        // The cache healed: the next pull takes the layer from it, not from the registry.
        Assert.Equal(clean, await environment.PullAsync("store-healed", Timeout));
        Assert.Equal(fetchedAgain, await environment.RegistryBlobGetsAsync(layer, Timeout));
    }

    [Fact]
    public async Task ATagIsRefusedInTheDistributionErrorFormatAndADigestIsServed()
    {
        await using var environment = await CacheEnvironment.StartAsync(_image, Timeout);
        using var http = new HttpClient();
        await environment.Registry.SyncAccessLogAsync(Timeout);
        environment.Registry.ClearRequests(); // the push's own requests

        using var byTag = await http.GetAsync(new Uri($"{environment.CachePath}/manifests/{TwoLayerImageFixture.Tag}"), Timeout);
        Assert.Equal(HttpStatusCode.NotFound, byTag.StatusCode);
        using (var error = JsonDocument.Parse(await byTag.Content.ReadAsStringAsync(Timeout)))
        {
            var first = error.RootElement.GetProperty("errors")[0];
            Assert.Equal("MANIFEST_UNKNOWN", first.GetProperty("code").GetString());
            Assert.Contains("is a tag", first.GetProperty("message").GetString(), StringComparison.Ordinal);
        }

        foreach (var round in new[] { "miss", "hit" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"{environment.CachePath}/manifests/{_image.ManifestDigest}"));
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(ImageBuilder.OciManifestMediaType));
            using var byDigest = await http.SendAsync(request, Timeout);
            Assert.True(byDigest.StatusCode == HttpStatusCode.OK, $"{round}: {byDigest.StatusCode}");
            Assert.Equal(_image.ManifestDigest, byDigest.Headers.GetValues("Docker-Content-Digest").Single());
            Assert.Equal(ImageBuilder.OciManifestMediaType, byDigest.Content.Headers.ContentType!.MediaType);
            Assert.Equal(_image.ReadBlob(_image.ManifestDigest), await byDigest.Content.ReadAsByteArrayAsync(Timeout));
        }

        Assert.Equal(1, environment.Cache.Metrics.Hits);

        await environment.Registry.SyncAccessLogAsync(Timeout);
        Assert.DoesNotContain(environment.Registry.Requests, r => r.Path.EndsWith("/manifests/" + TwoLayerImageFixture.Tag, StringComparison.Ordinal));
        Assert.True(environment.Cache.Metrics.Refused >= 1);
    }

    [Fact]
    public async Task RangeRequestsAreServedOnAMissAndOnAHit()
    {
        await using var environment = await CacheEnvironment.StartAsync(_image, Timeout);
        using var http = new HttpClient();
        var layer = _image.LayerDigests[^1];
        var content = _image.ReadBlob(layer);
        var blob = new Uri($"{environment.CachePath}/blobs/{layer}");

        foreach (var round in new[] { "miss", "hit" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, blob);
            request.Headers.Range = new RangeHeaderValue(1000, 200_999);
            using var partial = await http.SendAsync(request, Timeout);
            Assert.True(partial.StatusCode == HttpStatusCode.PartialContent, $"{round}: {partial.StatusCode}");
            Assert.Equal($"bytes 1000-200999/{content.Length}", partial.Content.Headers.ContentRange!.ToString());
            Assert.Equal(content.AsSpan(1000, 200_000).ToArray(), await partial.Content.ReadAsByteArrayAsync(Timeout));
        }

        using (var suffix = new HttpRequestMessage(HttpMethod.Get, blob))
        {
            suffix.Headers.Range = new RangeHeaderValue(null, 10);
            using var last = await http.SendAsync(suffix, Timeout);
            Assert.Equal(HttpStatusCode.PartialContent, last.StatusCode);
            Assert.Equal(content.AsSpan(content.Length - 10).ToArray(), await last.Content.ReadAsByteArrayAsync(Timeout));
        }

        using (var past = new HttpRequestMessage(HttpMethod.Get, blob))
        {
            past.Headers.Range = new RangeHeaderValue(content.Length, null);
            using var unsatisfiable = await http.SendAsync(past, Timeout);
            Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, unsatisfiable.StatusCode);
        }

        using var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, blob), Timeout);
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(content.Length, head.Content.Headers.ContentLength);
        Assert.Equal(1, await environment.RegistryBlobGetsAsync(layer, Timeout));
    }

    [Fact]
    public async Task AnUpstreamWithAPortIsNamedByTheFirstPathComponentOrByNs()
    {
        // The registry listens on 127.0.0.1:PORT: the upstream's name carries a port, as in the mirror
        // location 127.0.0.1:5050/registry.example.com:5000 and in the agent's node_cache requests.
        await using var environment = await CacheEnvironment.StartAsync(_image, Timeout);
        using var http = new HttpClient();
        var layer = _image.LayerDigests[^1];
        var config = _image.ConfigDigest;
        var host = environment.Registry.Host;
        Assert.Contains(":", host, StringComparison.Ordinal);
        var cache = $"http://{environment.Cache.Address}/v2";

        foreach (var (blob, url) in new[]
        {
            (layer, $"{cache}/{host}/{CacheEnvironment.Repository}/blobs/{layer}"),
            (layer, $"{cache}/{host.Replace(":", "%3A", StringComparison.Ordinal)}/{CacheEnvironment.Repository}/blobs/{layer}"),
            (config, $"{cache}/{CacheEnvironment.Repository}/blobs/{config}?ns={Uri.EscapeDataString(host)}"),
            (config, $"{cache}/{CacheEnvironment.Repository}/blobs/{config}?ns={host}"),
        })
        {
            using var response = await http.GetAsync(new Uri(url), Timeout);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{url}: {response.StatusCode} {await response.Content.ReadAsStringAsync(Timeout)}");
            Assert.Equal(_image.ReadBlob(blob), await response.Content.ReadAsByteArrayAsync(Timeout));
        }

        // Once each from the registry, however the upstream was named: the entries are keyed by digest.
        Assert.Equal(1, await environment.RegistryBlobGetsAsync(layer, Timeout));
        Assert.Equal(1, await environment.RegistryBlobGetsAsync(config, Timeout));

        // A port without a host, or a host:port that is no port, is refused with the reason.
        using var bad = await http.GetAsync(new Uri($"{cache}/{CacheEnvironment.Repository}/blobs/{layer}?ns=registry.example.com:port"), Timeout);
        Assert.Equal(HttpStatusCode.NotFound, bad.StatusCode);
        Assert.Contains("NAME_UNKNOWN", await bad.Content.ReadAsStringAsync(Timeout), StringComparison.Ordinal);
    }

    [Fact]
    public async Task EvictionKeepsTheCacheUnderItsLimit()
    {
        var largest = _image.BlobDigests.Max(d => _image.ReadBlob(d).Length);
        var limit = largest + 4096L;
        await using var environment = await CacheEnvironment.StartAsync(_image, Timeout, maxSize: limit);

        await environment.PullAsync("store-1", Timeout);

        Assert.True(environment.Cache.StoreBytes <= limit, $"{environment.Cache.StoreBytes} bytes held, limit {limit}");
        var onDisk = Directory.EnumerateFiles(environment.Work.Combine("cache", "blobs"), "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        Assert.True(onDisk <= limit, $"{onDisk} bytes on disk, limit {limit}");
        Assert.True(environment.Cache.Metrics.Evictions >= 1);
        Assert.Empty(Directory.EnumerateFileSystemEntries(environment.Work.Combine("cache", "incoming")));
    }

    [Fact]
    public async Task WithBasicAuthTheCacheUsesTheNodesCredentialsAndNeverSeesTheClients()
    {
        var users = new Dictionary<string, string> { ["node"] = "node-secret" };
        await using var environment = await CacheEnvironment.StartAsync(_image, Timeout, new RegistryOptions { Name = "cache-auth", HtpasswdUsers = users });
        await using var proxy = await FaultProxy.StartAsync(environment.Cache.Address, null, Timeout);
        var credentials = new RegistryCredential("node", "node-secret");

        var tree = await environment.PullAsync("store-1", Timeout, mirrorHost: proxy.Host, credentials: credentials);
        Assert.Equal(tree, await environment.PullAsync("store-2", Timeout, mirrorHost: proxy.Host, credentials: credentials));

        Assert.NotEmpty(proxy.Requests);
        Assert.DoesNotContain(proxy.Requests, r => r.Headers.Keys.Any(k => k.Equals("Authorization", StringComparison.OrdinalIgnoreCase)));
        Assert.All(proxy.Requests.Where(r => r.Path.Contains("/blobs/", StringComparison.Ordinal)), r => Assert.Equal(200, r.Status));
        foreach (var blob in _image.BlobDigests)
        {
            Assert.Equal(1, await environment.RegistryBlobGetsAsync(blob, Timeout));
        }
    }

    [Fact]
    public async Task APrivateImageTheCacheCannotFetchFallsThroughToTheClientsCredentials()
    {
        var users = new Dictionary<string, string> { ["guest"] = "guest-secret" };
        await using var environment = await CacheEnvironment.StartAsync(_image, Timeout, new RegistryOptions { Name = "cache-private", HtpasswdUsers = users }, cacheHasCredentials: false);

        await environment.PullAsync("store-1", Timeout, credentials: new RegistryCredential("guest", "guest-secret"));

        Assert.Equal(0, environment.Cache.StoreBytes);
        foreach (var layer in _image.LayerDigests)
        {
            Assert.Equal(1, await environment.RegistryBlobGetsAsync(layer, Timeout));
        }
    }
}
