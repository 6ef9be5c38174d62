using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using GuestPull.Testing;
using GuestPull.Testing.Traits;

namespace GuestPull.IntegrationTests.Fixtures;

[Trait(Requires.Trait, Requires.Components)]
public sealed class FaultProxyTests(BusyboxImageFixture image) : IClassFixture<BusyboxImageFixture>
{
    [Fact]
    public async Task DropAfterBytes_CutsOneDownloadAndRecordsTheResumeRange()
    {
        await using var registry = await RegistryInstance.StartAsync(new RegistryOptions { Name = "proxied" }, CancellationToken.None);
        await ImageBuilder.PushAsync(image.LayoutDirectory, BusyboxImageFixture.Tag, registry, "smoke/proxy:1");
        var layer = LayerDigest();
        var expected = await File.ReadAllBytesAsync(registry.Storage.BlobDataPath(layer));
        await using var proxy = await FaultProxy.StartAsync(registry, CancellationToken.None);
        proxy.DropAfterBytes("/blobs/", 1000, times: 1);
        using var http = new HttpClient { BaseAddress = proxy.BaseUri };

        // First attempt: the body breaks after 1000 bytes.
        var partial = new MemoryStream();
        var broken = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            using var response = await http.GetAsync($"v2/smoke/proxy/blobs/{layer}", HttpCompletionOption.ResponseHeadersRead);
            await using var body = await response.Content.ReadAsStreamAsync();
            await body.CopyToAsync(partial);
        });

        // Resume from where it broke; the rule was for one time only.
        using var resume = new HttpRequestMessage(HttpMethod.Get, $"v2/smoke/proxy/blobs/{layer}");
        resume.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(partial.Length, null);
        using var rest = await http.SendAsync(resume);
        var remainder = await rest.Content.ReadAsByteArrayAsync();

        Assert.True(broken is HttpRequestException or IOException, broken.ToString());
        Assert.Equal(1000, partial.Length);
        Assert.Equal(HttpStatusCode.PartialContent, rest.StatusCode);
        Assert.Equal(expected, partial.ToArray().Concat(remainder).ToArray());
        Assert.Collection(
            proxy.Requests,
            first => Assert.Equal((ProxyFault.Dropped, 200, (string?)null), (first.Fault, first.Status, first.Range)),
            second => Assert.Equal((ProxyFault.None, 206, "bytes=1000-"), (second.Fault, second.Status, second.Range)));
        Assert.Equal(2, await registry.CountBlobGetsAsync(layer, CancellationToken.None));
    }

    [Fact]
    public async Task DropAfterBytes_MakesSkopeoFailOnceThenSucceed()
    {
        await using var registry = await RegistryInstance.StartAsync(new RegistryOptions { Name = "proxied-skopeo" }, CancellationToken.None);
        await ImageBuilder.PushAsync(image.LayoutDirectory, BusyboxImageFixture.Tag, registry, "smoke/proxy:1");
        await using var proxy = await FaultProxy.StartAsync(registry, CancellationToken.None);
        proxy.DropAfterBytes(LayerDigest(), 4096);
        using var work = TempDirectory.Create("copy");

        var error = await Assert.ThrowsAsync<ProcessFailedException>(
            () => Skopeo.CopyFromRegistryAsync(proxy.Endpoint, "smoke/proxy:1", $"dir:{work.Combine("first")}"));
        await Skopeo.CopyFromRegistryAsync(proxy.Endpoint, "smoke/proxy:1", $"dir:{work.Combine("second")}");

        Assert.Contains(proxy.Requests, r => r.Fault == ProxyFault.Dropped);
        Assert.Single(proxy.Requests, r => r.Fault == ProxyFault.Dropped);
        Assert.True(File.Exists(Path.Combine(work.Combine("second"), "manifest.json")));
        Assert.NotEmpty(error.StandardError);
    }

    [Fact]
    public async Task ReplaceResponse_ServesTheCannedAnswer()
    {
        await using var registry = await RegistryInstance.StartAsync(new RegistryOptions { Name = "proxied-canned" }, CancellationToken.None);
        await using var proxy = await FaultProxy.StartAsync(registry, CancellationToken.None);
        var hostile = Encoding.UTF8.GetBytes("""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}""");
        proxy.ReplaceResponse("/manifests/evil", 200, new Dictionary<string, string>
        {
            ["Content-Type"] = "application/vnd.oci.image.manifest.v1+json",
            ["Docker-Content-Digest"] = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(hostile)),
        }, hostile);
        using var http = new HttpClient { BaseAddress = proxy.BaseUri };

        using var canned = await http.GetAsync("v2/smoke/x/manifests/evil");
        using var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, "v2/smoke/x/manifests/evil"));
        using var passedThrough = await http.GetAsync("v2/");

        Assert.Equal(HttpStatusCode.OK, canned.StatusCode);
        Assert.Equal("application/vnd.oci.image.manifest.v1+json", canned.Content.Headers.ContentType?.MediaType);
        Assert.Equal(hostile, await canned.Content.ReadAsByteArrayAsync());
        Assert.Equal(hostile.Length, head.Content.Headers.ContentLength);
        Assert.Equal(HttpStatusCode.OK, passedThrough.StatusCode);
        Assert.Equal("registry/2.0", passedThrough.Headers.GetValues("Docker-Distribution-Api-Version").Single());
        Assert.Equal([ProxyFault.Replaced, ProxyFault.Replaced, ProxyFault.None], proxy.Requests.Select(r => r.Fault));
    }

    private string LayerDigest()
    {
        using var manifest = JsonDocument.Parse(ImageBuilder.ReadBlob(image.LayoutDirectory, image.ManifestDigest));
        return manifest.RootElement.GetProperty("layers")[0].GetProperty("digest").GetString()!;
    }
}
