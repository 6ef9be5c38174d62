using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using GuestPull.Testing;
using GuestPull.Testing.Traits;

namespace GuestPull.IntegrationTests.Fixtures;

/// The access log and the storage edits hostile tests build on, pinned against docker-registry 2.8.
[Trait(Requires.Trait, Requires.Components)]
public sealed class RegistryStorageTests(BusyboxImageFixture image) : IClassFixture<BusyboxImageFixture>
{
    private const string AcceptAll =
        "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, " +
        "application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json, " +
        "application/vnd.docker.distribution.manifest.v1+prettyjws";

    [Fact]
    public async Task AccessLog_CountsBlobGets()
    {
        await using var registry = await RegistryInstance.StartAsync(new RegistryOptions { Name = "log" }, CancellationToken.None);
        await ImageBuilder.PushAsync(image.LayoutDirectory, BusyboxImageFixture.Tag, registry, "smoke/log:1");
        var layer = LayerDigest();
        await registry.SyncAccessLogAsync(CancellationToken.None);
        var afterPush = registry.CountBlobGets(layer);
        using var work = TempDirectory.Create("copy");

        await Skopeo.CopyFromRegistryAsync(registry, "smoke/log:1", $"dir:{work.Combine("out")}");
        await Skopeo.CopyFromRegistryAsync(registry, "smoke/log:1", $"dir:{work.Combine("again")}");

        Assert.Equal(0, afterPush);
        Assert.Equal(2, await registry.CountBlobGetsAsync(layer, CancellationToken.None));
        Assert.Equal(4, registry.CountBlobGets()); // layer and config, twice
        Assert.Contains(registry.Requests, r => r.Method == "PUT" && r.Path == "/v2/smoke/log/manifests/1" && r.Status == 201);
        Assert.DoesNotContain(registry.Requests, r => r.Target.Contains("guestpull-log-sync", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TamperedBlob_IsServedUnchangedInSizeAndFailsSkopeosCopy()
    {
        await using var registry = await RegistryInstance.StartAsync(new RegistryOptions { Name = "tamper" }, CancellationToken.None);
        await ImageBuilder.PushAsync(image.LayoutDirectory, BusyboxImageFixture.Tag, registry, "smoke/tamper:1");
        var layer = LayerDigest();
        var size = new FileInfo(registry.Storage.BlobDataPath(layer)).Length;

        registry.Storage.TamperBlob(layer);
        using var work = TempDirectory.Create("copy");
        var error = await Assert.ThrowsAsync<ProcessFailedException>(
            () => Skopeo.CopyFromRegistryAsync(registry, "smoke/tamper:1", $"dir:{work.Combine("out")}"));

        Assert.Equal(size, new FileInfo(registry.Storage.BlobDataPath(layer)).Length);
        Assert.Contains("digest", error.StandardError, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task RawBlobs_AreServedOnlyOnceLinkedAndReplacementsShowAtOnce()
    {
        await using var registry = await RegistryInstance.StartAsync(new RegistryOptions { Name = "raw" }, CancellationToken.None);
        using var http = registry.CreateHttpClient();
        var digest = registry.Storage.WriteRawBlob(Encoding.UTF8.GetBytes("raw blob"));

        using var unlinked = await http.GetAsync($"v2/smoke/raw/blobs/{digest}");
        registry.Storage.LinkBlob("smoke/raw", digest);
        var linked = await http.GetByteArrayAsync($"v2/smoke/raw/blobs/{digest}");
        registry.Storage.ReplaceBlob(digest, Encoding.UTF8.GetBytes("a longer replacement"));
        using var replaced = await http.GetAsync($"v2/smoke/raw/blobs/{digest}");

        Assert.Equal(HttpStatusCode.NotFound, unlinked.StatusCode);
        Assert.Equal("raw blob", Encoding.UTF8.GetString(linked));
        Assert.Equal("a longer replacement", await replaced.Content.ReadAsStringAsync());
        Assert.Equal(digest, replaced.Headers.GetValues("Docker-Content-Digest").Single());
        Assert.Throws<ArgumentException>(() => registry.Storage.BlobDataPath("sha256:../../etc"));
    }

    [Fact]
    public async Task LinkedManifests_AreServedAsDocumentedOnRegistryStorage()
    {
        await using var registry = await RegistryInstance.StartAsync(new RegistryOptions { Name = "manifests" }, CancellationToken.None);
        var storage = registry.Storage;
        var config = storage.WriteRawBlob("{}"u8.ToArray());
        var noMediaType = Encoding.UTF8.GetBytes($$"""{"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{{config}}","size":2},"layers":[]}""");
        var schema1 = Encoding.UTF8.GetBytes("""{"schemaVersion":1,"name":"smoke/m","tag":"s1","architecture":"amd64","fsLayers":[],"history":[]}""");
        var oversized = Encoding.UTF8.GetBytes(
            $$"""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{{config}}","size":2},"layers":[],"annotations":{"pad":""" +
            "\"" + new string('x', 4 * 1024 * 1024) + "\"}}");

        var noMediaTypeDigest = storage.PutRawManifest("smoke/m", "nomediatype", noMediaType);
        storage.PutRawManifest("smoke/m", "s1", schema1);
        storage.PutRawManifest("smoke/m", "big", oversized);
        storage.PutRawManifest("smoke/m", "junk", "not json"u8.ToArray());

        var (okStatus, okType, okBody) = await GetManifestAsync(registry, "nomediatype", AcceptAll);
        var (byDigestStatus, _, _) = await GetManifestAsync(registry, noMediaTypeDigest, AcceptAll);
        var (dockerOnlyStatus, _, _) = await GetManifestAsync(registry, "nomediatype", "application/vnd.docker.distribution.manifest.v2+json");
        var (s1Status, s1Type, s1Body) = await GetManifestAsync(registry, "s1", "application/vnd.oci.image.manifest.v1+json");
        var (bigStatus, _, _) = await GetManifestAsync(registry, "big", AcceptAll);
        var (junkStatus, _, _) = await GetManifestAsync(registry, "junk", AcceptAll);

        Assert.Equal((HttpStatusCode.OK, "application/vnd.oci.image.manifest.v1+json"), (okStatus, okType));
        Assert.Equal(noMediaType, okBody);
        Assert.Equal(HttpStatusCode.OK, byDigestStatus);
        Assert.Equal(HttpStatusCode.NotFound, dockerOnlyStatus);
        Assert.Equal((HttpStatusCode.OK, "application/vnd.docker.distribution.manifest.v1+prettyjws"), (s1Status, s1Type));
        Assert.Equal(1, JsonDocument.Parse(s1Body).RootElement.GetProperty("schemaVersion").GetInt32());
        Assert.NotEqual(schema1, s1Body); // signed on the fly
        Assert.Equal(HttpStatusCode.InternalServerError, bigStatus); // > 4 MiB: use FaultProxy.ReplaceResponse
        Assert.Equal(HttpStatusCode.InternalServerError, junkStatus);
    }

    private string LayerDigest()
    {
        using var manifest = JsonDocument.Parse(ImageBuilder.ReadBlob(image.LayoutDirectory, image.ManifestDigest));
        return manifest.RootElement.GetProperty("layers")[0].GetProperty("digest").GetString()!;
    }

    private static async Task<(HttpStatusCode Status, string? ContentType, byte[] Body)> GetManifestAsync(RegistryInstance registry, string reference, string accept)
    {
        using var http = registry.CreateHttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"v2/smoke/m/manifests/{reference}");
        request.Headers.Accept.ParseAdd(accept);
        using var response = await http.SendAsync(request);
        return (response.StatusCode, response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsByteArrayAsync());
    }
}
