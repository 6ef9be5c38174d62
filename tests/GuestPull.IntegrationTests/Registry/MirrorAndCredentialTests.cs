using GuestPull.Oci.Model;
using GuestPull.Oci.Registry;
using GuestPull.Oci.Registry.Auth;
using GuestPull.Oci.Registry.Configuration;
using GuestPull.Testing;
using GuestPull.Testing.Traits;

namespace GuestPull.IntegrationTests.Registry;

/// <summary>
/// registries.conf mirrors and blocks, and where credentials may go: never from the origin to a
/// mirror, never across a redirect to another host.
/// </summary>
[Trait(Requires.Trait, Requires.Components)]
public sealed class MirrorAndCredentialTests : IClassFixture<BusyboxImageFixture>
{
    private const string Repo = "mirror/busybox:1";
    private readonly BusyboxImageFixture _image;

    public MirrorAndCredentialTests(BusyboxImageFixture image) => _image = image;

    private static CancellationToken Timeout => new CancellationTokenSource(TimeSpan.FromMinutes(3)).Token;

    private static bool HasAuthorization(ProxiedRequest request) => request.Headers.Keys.Any(k => k.Equals("Authorization", StringComparison.OrdinalIgnoreCase));

    [Fact]
    public async Task AMirrorServesTheImageWithoutTheOriginsCredentials()
    {
        await using var origin = await RegistryInstance.StartAsync(new RegistryOptions { Name = "origin", HtpasswdUsers = new Dictionary<string, string> { ["alice"] = "s3cret" } }, Timeout);
        await using var mirrorRegistry = await RegistryInstance.StartAsync(new RegistryOptions { Name = "mirror" }, Timeout);
        await ImageBuilder.PushAsync(_image.LayoutDirectory, BusyboxImageFixture.Tag, origin, Repo, new PushOptions { PreserveDigests = true }, Timeout);
        await ImageBuilder.PushAsync(_image.LayoutDirectory, BusyboxImageFixture.Tag, mirrorRegistry, Repo, new PushOptions { PreserveDigests = true }, Timeout);
        await using var mirror = await FaultProxy.StartAsync(mirrorRegistry, Timeout);
        await origin.SyncAccessLogAsync(Timeout);
        origin.ClearRequests();

        var conf = RegistriesConfiguration.Parse($$"""
            [[registry]]
            location = "{{origin.Host}}"
            insecure = true
            [[registry.mirror]]
            location = "{{mirror.Host}}"
            insecure = true
            """, "test-registries.conf");
        using var client = new RegistryClient(new RegistryClientOptions
        {
            Registries = conf,
            ExplicitCredentials = new RegistryCredential("alice", "s3cret"),
            ExplicitCredentialsHost = origin.Host,
        });

        var image = await client.ResolveImageAsync(ImageReference.Parse(origin.Host + "/" + Repo), null, Timeout);

        Assert.Equal(mirror.Host, image.ServedBy);
        Assert.Equal(_image.ManifestDigest, image.ManifestDocument.Digest.ToString());
        Assert.NotEmpty(mirror.Requests);
        Assert.DoesNotContain(mirror.Requests, HasAuthorization);
        await origin.SyncAccessLogAsync(Timeout);
        Assert.DoesNotContain(origin.Requests, r => r.Path.Contains("/mirror/busybox/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AMirrorThatLacksTheImageFallsBackToTheOrigin()
    {
        await using var origin = await RegistryInstance.StartAsync(new RegistryOptions { Name = "origin" }, Timeout);
        await using var emptyMirror = await RegistryInstance.StartAsync(new RegistryOptions { Name = "empty-mirror" }, Timeout);
        await ImageBuilder.PushAsync(_image.LayoutDirectory, BusyboxImageFixture.Tag, origin, Repo, new PushOptions { PreserveDigests = true }, Timeout);
        var conf = RegistriesConfiguration.Parse($$"""
            [[registry]]
            location = "{{origin.Host}}"
            insecure = true
            [[registry.mirror]]
            location = "{{emptyMirror.Host}}"
            insecure = true
            """, "test-registries.conf");
        using var client = new RegistryClient(new RegistryClientOptions { Registries = conf });

        var image = await client.ResolveImageAsync(ImageReference.Parse(origin.Host + "/" + Repo), null, Timeout);
        Assert.Equal(origin.Host, image.ServedBy);
    }

    [Fact]
    public async Task ABlockedRegistryIsRefusedBeforeAnyRequest()
    {
        await using var origin = await RegistryInstance.StartAsync(new RegistryOptions { Name = "blocked" }, Timeout);
        var conf = RegistriesConfiguration.Parse($$"""
            [[registry]]
            location = "{{origin.Host}}"
            blocked = true
            """, "test-registries.conf");
        using var client = new RegistryClient(new RegistryClientOptions { Registries = conf });

        var ex = await Assert.ThrowsAsync<RegistryBlockedException>(() => client.GetManifestAsync(ImageReference.Parse(origin.Host + "/" + Repo), Timeout));
        Assert.Contains("blocked", ex.Message, StringComparison.Ordinal);
        Assert.Contains("test-registries.conf", ex.Message, StringComparison.Ordinal);
        await origin.SyncAccessLogAsync(Timeout);
        Assert.DoesNotContain(origin.Requests, r => r.Path.StartsWith("/v2/mirror", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ARedirectToAnotherHostCarriesNoCredentials()
    {
        await using var origin = await RegistryInstance.StartAsync(new RegistryOptions { Name = "origin", HtpasswdUsers = new Dictionary<string, string> { ["alice"] = "s3cret" } }, Timeout);
        await using var storage = await RegistryInstance.StartAsync(new RegistryOptions { Name = "storage" }, Timeout);
        var credentials = new RegistryCredentials("alice", "s3cret");
        await ImageBuilder.PushAsync(_image.LayoutDirectory, BusyboxImageFixture.Tag, origin, Repo, new PushOptions { PreserveDigests = true, Credentials = credentials }, Timeout);
        await ImageBuilder.PushAsync(_image.LayoutDirectory, BusyboxImageFixture.Tag, storage, Repo, new PushOptions { PreserveDigests = true }, Timeout);
        await using var originProxy = await FaultProxy.StartAsync(origin, Timeout);
        await using var storageProxy = await FaultProxy.StartAsync(storage, Timeout);

        using var client = new RegistryClient(new RegistryClientOptions
        {
            Registries = RegistriesConfiguration.Empty.WithInsecureRegistries([originProxy.Host]),
            ExplicitCredentials = new RegistryCredential("alice", "s3cret"),
            ExplicitCredentialsHost = originProxy.Host,
        });
        var reference = ImageReference.Parse(originProxy.Host + "/" + Repo);
        var image = await client.ResolveImageAsync(reference, null, Timeout);
        var layer = image.Manifest.Layers[0];

        // Like a registry whose blobs live on a CDN: the origin answers the blob GET with a redirect.
        originProxy.ReplaceResponse("/blobs/" + layer.Digest, 307, new Dictionary<string, string>
        {
            ["Location"] = $"http://{storageProxy.Host}/v2/mirror/busybox/blobs/{layer.Digest}",
        }, []);
        await using var stream = await client.OpenBlobAsync(reference, layer, Timeout);
        using var sink = new MemoryStream();
        await stream.CopyToAsync(sink, Timeout);

        Assert.Equal(layer.Size, sink.Length);
        Assert.Contains(originProxy.Requests, r => r.Path.Contains("/blobs/" + layer.Digest, StringComparison.Ordinal) && HasAuthorization(r));
        var storageRequest = Assert.Single(storageProxy.Requests, r => r.Path.Contains("/blobs/", StringComparison.Ordinal));
        Assert.False(HasAuthorization(storageRequest));
    }
}
