using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using GuestPull.Testing;
using GuestPull.Testing.Traits;

namespace GuestPull.IntegrationTests.Fixtures;

/// Each registry mode works with skopeo as the client, and refuses what it should.
[Trait(Requires.Trait, Requires.Components)]
public sealed class RegistryModesTests(BusyboxImageFixture image) : IClassFixture<BusyboxImageFixture>
{
    private static readonly Dictionary<string, string> Alice = new() { ["alice"] = "correct horse" };

    [Fact]
    public async Task Plain_PushedManifestIsServedByteForByte()
    {
        await using var registry = await RegistryInstance.StartAsync(new RegistryOptions { Name = "plain" }, CancellationToken.None);

        var pushed = await ImageBuilder.PushAsync(image.LayoutDirectory, BusyboxImageFixture.Tag, registry, "smoke/busybox:1");
        var raw = await Skopeo.InspectRawAsync(registry, "smoke/busybox:1");

        Assert.Equal(image.ManifestDigest, pushed);
        Assert.Equal(ImageBuilder.ReadBlob(image.LayoutDirectory, image.ManifestDigest), raw);
        Assert.Null(registry.CaCertificatePath);
        Assert.StartsWith("127.0.0.1:", registry.Host);
        Assert.True(Directory.Exists(Path.Combine(registry.StorageRoot, "docker", "registry", "v2", "repositories", "smoke", "busybox")));
    }

    [Fact]
    public async Task Tls_WorksWithTheCaAndFailsWithoutIt()
    {
        await using var registry = await RegistryInstance.StartAsync(new RegistryOptions { Name = "tls", Tls = true }, CancellationToken.None);

        await ImageBuilder.PushAsync(image.LayoutDirectory, BusyboxImageFixture.Tag, registry, "smoke/busybox:tls");
        var raw = await Skopeo.InspectRawAsync(registry, "smoke/busybox:tls");
        var untrusted = await Assert.ThrowsAsync<ProcessFailedException>(
            () => Skopeo.InspectRawAsync(registry, "smoke/busybox:tls", new SkopeoOptions { TrustRegistryCa = false }));

        Assert.Equal("sha256:" + Convert.ToHexStringLower(SHA256.HashData(raw)), image.ManifestDigest);
        Assert.Equal("https", registry.BaseUri.Scheme);
        Assert.True(File.Exists(registry.CaCertificatePath));
        Assert.Contains("certificate", untrusted.StandardError, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Htpasswd_AcceptsTheRightPasswordOnly()
    {
        await using var registry = await RegistryInstance.StartAsync(new RegistryOptions { Name = "htpasswd", HtpasswdUsers = Alice }, CancellationToken.None);

        await ImageBuilder.PushAsync(image.LayoutDirectory, BusyboxImageFixture.Tag, registry, "smoke/busybox:auth");
        var raw = await Skopeo.InspectRawAsync(registry, "smoke/busybox:auth");
        var wrong = await Assert.ThrowsAsync<ProcessFailedException>(() => Skopeo.InspectRawAsync(
            registry, "smoke/busybox:auth", new SkopeoOptions { Credentials = new RegistryCredentials("alice", "wrong") }));
        var anonymous = await Assert.ThrowsAsync<ProcessFailedException>(() => Skopeo.InspectRawAsync(
            registry, "smoke/busybox:auth", new SkopeoOptions { Anonymous = true }));

        Assert.NotEmpty(raw);
        Assert.Contains("unauthorized", wrong.StandardError, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("unauthorized", anonymous.StandardError, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(new RegistryCredentials("alice", "correct horse"), registry.DefaultCredentials);
    }

    [Fact]
    public async Task TokenAuth_IssuesTokensTheRegistryAcceptsAndRecordsRequests()
    {
        await using var registry = await RegistryInstance.StartAsync(
            new RegistryOptions { Name = "token", TokenAuth = new TokenServerOptions { Users = Alice } }, CancellationToken.None);
        var tokens = registry.TokenServer!;

        await ImageBuilder.PushAsync(image.LayoutDirectory, BusyboxImageFixture.Tag, registry, "smoke/busybox:token");
        var pushRequests = tokens.Requests;
        tokens.ClearRequests();
        var raw = await Skopeo.InspectRawAsync(registry, "smoke/busybox:token");
        var pullRequests = tokens.Requests;
        tokens.ClearRequests();
        var wrong = await Assert.ThrowsAsync<ProcessFailedException>(() => Skopeo.InspectRawAsync(
            registry, "smoke/busybox:token", new SkopeoOptions { Credentials = new RegistryCredentials("alice", "wrong") }));
        await registry.SyncAccessLogAsync(CancellationToken.None);

        Assert.NotEmpty(raw);
        Assert.Contains(registry.Requests, r => r.Method == "GET" && r.Path == "/v2/smoke/busybox/manifests/token" && r.Status == 200);
        Assert.Contains(registry.Requests, r => r.Status == 401);
        Assert.Contains(pushRequests, r => r.StatusCode == 200 && r.User == "alice" && r.Scopes.Contains("repository:smoke/busybox:pull,push"));
        var pull = Assert.Single(pullRequests);
        Assert.Equal(200, pull.StatusCode);
        Assert.Equal(["repository:smoke/busybox:pull"], pull.Scopes);
        Assert.Equal("guestpull-test-registry", pull.Service);
        Assert.Contains(tokens.Requests, r => r.StatusCode == 401 && r.User == "alice" && !r.Authenticated);
        Assert.Equal(0, tokens.IssuedCount);
        Assert.Contains("unauthorized", wrong.StandardError, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task TokenAuth_AnonymousPullOnlyWhenAllowed()
    {
        await using var registry = await RegistryInstance.StartAsync(new RegistryOptions
        {
            Name = "token-anon",
            TokenAuth = new TokenServerOptions { Users = Alice, AllowAnonymous = true },
        }, CancellationToken.None);
        await ImageBuilder.PushAsync(image.LayoutDirectory, BusyboxImageFixture.Tag, registry, "smoke/busybox:anon");

        var raw = await Skopeo.InspectRawAsync(registry, "smoke/busybox:anon", new SkopeoOptions { Anonymous = true });
        var push = await Assert.ThrowsAsync<ProcessFailedException>(() => ImageBuilder.PushAsync(
            image.LayoutDirectory, BusyboxImageFixture.Tag, registry, "smoke/busybox:anon2", new PushOptions { Anonymous = true }));

        Assert.NotEmpty(raw);
        Assert.Contains(registry.TokenServer!.Requests, r => r.User is null && r.StatusCode == 200 && r.Granted.All(g => g.Actions.SequenceEqual(["pull"])));
        Assert.Contains("denied", push.StandardError, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task TokenAuth_OverTlsWithRs256()
    {
        await using var registry = await RegistryInstance.StartAsync(new RegistryOptions
        {
            Name = "token-tls",
            Tls = true,
            TokenAuth = new TokenServerOptions { Users = Alice, Algorithm = TokenSigningAlgorithm.RS256, ExpiresInSeconds = 120 },
        }, CancellationToken.None);

        await ImageBuilder.PushAsync(image.LayoutDirectory, BusyboxImageFixture.Tag, registry, "smoke/busybox:rs256");
        var raw = await Skopeo.InspectRawAsync(registry, "smoke/busybox:rs256");

        Assert.NotEmpty(raw);
        Assert.Equal("https", registry.TokenServer!.Realm.Scheme);
    }

    [Fact]
    public async Task TokenServer_AnswersTheProtocolDirectly()
    {
        await using var registry = await RegistryInstance.StartAsync(
            new RegistryOptions { Name = "token-direct", TokenAuth = new TokenServerOptions { Users = Alice, ExpiresInSeconds = 77 } }, CancellationToken.None);
        var tokens = registry.TokenServer!;
        using var http = new HttpClient();
        var url = new Uri($"{tokens.Realm}?service={tokens.Service}&scope=repository:a/b:pull&scope=repository:c:pull,push");

        using var anonymous = await http.GetAsync(url);
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:correct horse")));
        using var granted = await http.SendAsync(request);
        using var body = System.Text.Json.JsonDocument.Parse(await granted.Content.ReadAsStringAsync());
        var token = body.RootElement.GetProperty("token").GetString()!;
        using var claims = System.Text.Json.JsonDocument.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(token.Split('.')[1]));

        // The token opens the registry for the granted repository.
        using var registryHttp = registry.CreateHttpClient();
        using var catalog = new HttpRequestMessage(HttpMethod.Get, "v2/a/b/tags/list");
        catalog.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var tagsList = await registryHttp.SendAsync(catalog);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.OK, granted.StatusCode);
        Assert.Equal(token, body.RootElement.GetProperty("access_token").GetString());
        Assert.Equal(77, body.RootElement.GetProperty("expires_in").GetInt32());
        Assert.Equal("alice", claims.RootElement.GetProperty("sub").GetString());
        Assert.Equal(tokens.Service, claims.RootElement.GetProperty("aud").GetString());
        Assert.Equal(2, claims.RootElement.GetProperty("access").GetArrayLength());
        Assert.Equal(HttpStatusCode.NotFound, tagsList.StatusCode); // authorised, the repository just doesn't exist
        Assert.Equal(2, tokens.RequestCount);
    }
}
