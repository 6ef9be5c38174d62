using System.Text;
using System.Text.Json;
using GuestPull.IntegrationTests.Infrastructure;
using GuestPull.Testing;
using GuestPull.Testing.Traits;

namespace GuestPull.IntegrationTests.Inspect;

/// <summary>Each kind of bad input gets its own clear error and a non-zero exit code.</summary>
[Trait(Requires.Trait, Requires.Components)]
public sealed class InspectBadInputTests : IClassFixture<BusyboxImageFixture>, IAsyncLifetime
{
    private readonly BusyboxImageFixture _image;
    private RegistryInstance _registry = null!;

    public InspectBadInputTests(BusyboxImageFixture image) => _image = image;

    public async Task InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        _registry = await RegistryInstance.StartAsync(new RegistryOptions { Name = "bad-input" }, timeout.Token);
    }

    public async Task DisposeAsync() => await _registry.DisposeAsync();

    private async Task<string> PushAsync(string repoAndTag)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await ImageBuilder.PushAsync(_image.LayoutDirectory, BusyboxImageFixture.Tag, _registry, repoAndTag, new PushOptions { PreserveDigests = true }, timeout.Token);
        return _registry.Host + "/" + repoAndTag;
    }

    private Task<ProcessResult> InspectAsync(params string[] extra) =>
        GuestPullCli.RunAsync(["inspect", "--insecure-registry", _registry.Host, "--retries", "2", .. extra]);

    [Fact]
    public async Task UnknownRepositoryAndUnknownTag()
    {
        var reference = await PushAsync("bad/known:1");
        var repo = await InspectAsync(_registry.Host + "/bad/unknown:1");
        CliAssert.Failed(repo, 1, "not found on " + _registry.Host, "bad/unknown");

        var tag = await InspectAsync(reference.Replace(":1", ":2", StringComparison.Ordinal));
        CliAssert.Failed(tag, 1, "not found on " + _registry.Host, "MANIFEST_UNKNOWN");
    }

    [Fact]
    public async Task AManifestEditedInStorageFailsItsDigest()
    {
        var reference = await PushAsync("bad/manifest:1");

        // Still a valid manifest, so the registry serves it, but no longer the bytes the digest names.
        var edited = ImageBuilder.ReadBlob(_image.LayoutDirectory, _image.ManifestDigest).Concat("\n"u8.ToArray()).ToArray();
        _registry.Storage.ReplaceBlob(_image.ManifestDigest, edited);

        var byTag = await InspectAsync(reference);
        CliAssert.Failed(byTag, 1, "digest mismatch");

        var byDigest = await InspectAsync(_registry.Host + "/bad/manifest@" + _image.ManifestDigest);
        CliAssert.Failed(byDigest, 1, "digest mismatch", _image.ManifestDigest);
    }

    [Fact]
    public async Task AConfigEditedInStorageFailsItsDigest()
    {
        var reference = await PushAsync("bad/config:1");
        using var manifest = JsonDocument.Parse(ImageBuilder.ReadBlob(_image.LayoutDirectory, _image.ManifestDigest));
        var configDigest = manifest.RootElement.GetProperty("config").GetProperty("digest").GetString()!;
        _registry.Storage.TamperBlob(configDigest);

        var result = await InspectAsync(reference);
        CliAssert.Failed(result, 1, "blob " + configDigest, "digest mismatch");
    }

    [Fact]
    public async Task AnOversizedManifestIsRefused()
    {
        // docker-registry itself refuses to serve a manifest over 4 MiB, so a proxy plays the hostile registry.
        var reference = await PushAsync("bad/huge:1");
        await using var proxy = await FaultProxy.StartAsync(_registry, CancellationToken.None);
        var padding = new string(' ', 5 * 1024 * 1024);
        var bytes = Encoding.UTF8.GetBytes("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\"" + padding + "}");
        proxy.ReplaceResponse("/manifests/", 200, new Dictionary<string, string> { ["Content-Type"] = "application/vnd.oci.image.manifest.v1+json" }, bytes);

        var result = await GuestPullCli.RunAsync("inspect", "--insecure-registry", proxy.Host, proxy.Host + "/bad/huge:1");
        CliAssert.Failed(result, 1, "too large", "4 MiB");
    }

    [Fact]
    public async Task ASchema1ManifestIsRefused()
    {
        var schema1 = Encoding.UTF8.GetBytes("""
            {"schemaVersion":1,"name":"bad/old","tag":"1","architecture":"amd64",
             "fsLayers":[{"blobSum":"sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4"}],
             "history":[{"v1Compatibility":"{\"id\":\"x\"}"}]}
            """);
        _registry.Storage.PutRawManifest("bad/old", "1", schema1);

        var result = await InspectAsync(_registry.Host + "/bad/old:1");
        CliAssert.Failed(result, 1, "schema 1");
    }

    [Theory]
    [InlineData("bad/app@sha256:1234", "64 hex characters")]
    [InlineData("bad/app@sha256:../../../../../../etc/passwd", "")]
    [InlineData("bad/app@md5:d41d8cd98f00b204e9800998ecf8427e", "unsupported algorithm")]
    [InlineData("bad/App:1", "lower case")]
    public async Task AMalformedReferenceIsAUsageError(string reference, string reason)
    {
        var result = await InspectAsync(_registry.Host + "/" + reference);
        CliAssert.Failed(result, 2, "invalid", reason);
        Assert.DoesNotContain(_registry.Requests, r => r.Path.Contains("/bad/app", StringComparison.Ordinal) || r.Path.Contains("/bad/App", StringComparison.Ordinal));
    }
}
