using System.Text;
using GuestPull.IntegrationTests.Infrastructure;
using GuestPull.Testing;
using GuestPull.Testing.Traits;

namespace GuestPull.IntegrationTests.Inspect;

/// <summary>TLS with a private CA, htpasswd Basic auth and token auth, each against a real docker-registry.</summary>
[Trait(Requires.Trait, Requires.Components)]
public sealed class InspectAuthenticationTests : IClassFixture<BusyboxImageFixture>
{
    private const string Repo = "auth/busybox:1";
    private readonly BusyboxImageFixture _image;

    public InspectAuthenticationTests(BusyboxImageFixture image) => _image = image;

    private static CancellationToken Timeout => new CancellationTokenSource(TimeSpan.FromMinutes(3)).Token;

    [Fact]
    public async Task TlsWithAPrivateCaNeedsTheCaFile()
    {
        await using var registry = await RegistryInstance.StartAsync(new RegistryOptions { Tls = true }, Timeout);
        await ImageBuilder.PushAsync(_image.LayoutDirectory, BusyboxImageFixture.Tag, registry, Repo, cancellationToken: Timeout);
        var reference = registry.Host + "/" + Repo;

        var trusted = await GuestPullCli.RunAsync("inspect", "--tls-ca-file", registry.CaCertificatePath!, "--format", "json", reference);
        CliAssert.Succeeded(trusted);
        Assert.Contains(_image.ManifestDigest, trusted.StandardOutput, StringComparison.Ordinal);

        var untrusted = await GuestPullCli.RunAsync("inspect", "--retries", "1", reference);
        CliAssert.Failed(untrusted, 1, "TLS connection to " + registry.Host + " failed", "--tls-ca-file");
    }

    [Fact]
    public async Task BasicAuthWithHtpasswd()
    {
        await using var registry = await RegistryInstance.StartAsync(new RegistryOptions { HtpasswdUsers = new Dictionary<string, string> { ["alice"] = "s3cret" } }, Timeout);
        await ImageBuilder.PushAsync(_image.LayoutDirectory, BusyboxImageFixture.Tag, registry, Repo, cancellationToken: Timeout);
        var reference = registry.Host + "/" + Repo;

        var ok = await GuestPullCli.RunAsync("inspect", "--insecure-registry", registry.Host, "--creds", "alice:s3cret", "--format", "json", reference);
        CliAssert.Succeeded(ok);
        Assert.Contains(_image.ManifestDigest, ok.StandardOutput, StringComparison.Ordinal);

        var wrong = await GuestPullCli.RunAsync("inspect", "--insecure-registry", registry.Host, "--creds", "alice:Wr0ngPa55", reference);
        CliAssert.Failed(wrong, 1, "rejected the password of user \"alice\"");
        Assert.DoesNotContain("Wr0ngPa55", wrong.StandardError, StringComparison.Ordinal);

        var none = await GuestPullCli.RunAsync("inspect", "--insecure-registry", registry.Host, reference);
        CliAssert.Failed(none, 1, "requires authentication and no credentials are configured");

        using var dir = TempDirectory.Create("authfile");
        var authFile = dir.Combine("auth.json");
        var auth = Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:s3cret"));
        File.WriteAllText(authFile, "{\"auths\":{\"" + registry.Host + "\":{\"auth\":\"" + auth + "\"}}}");
        var fromFile = await GuestPullCli.RunAsync("inspect", "--insecure-registry", registry.Host, "--auth-file", authFile, reference);
        CliAssert.Succeeded(fromFile);

        var viaEnv = await GuestPullCli.RunAsync(["inspect", "--insecure-registry", registry.Host, reference], new Dictionary<string, string?> { ["REGISTRY_AUTH_FILE"] = authFile });
        CliAssert.Succeeded(viaEnv);
    }

    [Fact]
    public async Task TokenAuthCachesTheTokenAndRejectsAWrongPassword()
    {
        // The token server is another port of 127.0.0.1: credentials may only go there over HTTPS.
        await using var registry = await RegistryInstance.StartAsync(new RegistryOptions
        {
            Tls = true,
            TokenAuth = new TokenServerOptions { Users = new Dictionary<string, string> { ["bob"] = "hunter2" } },
        }, Timeout);
        Assert.Equal("https", registry.TokenServer!.Realm.Scheme);
        await ImageBuilder.PushAsync(_image.LayoutDirectory, BusyboxImageFixture.Tag, registry, Repo, new PushOptions { Credentials = new RegistryCredentials("bob", "hunter2") }, Timeout);
        var reference = registry.Host + "/" + Repo;
        registry.TokenServer.ClearRequests();

        var ok = await GuestPullCli.RunAsync("inspect", "--tls-ca-file", registry.CaCertificatePath!, "--creds", "bob:hunter2", "--format", "json", reference);
        CliAssert.Succeeded(ok);
        Assert.Contains(_image.ManifestDigest, ok.StandardOutput, StringComparison.Ordinal);

        // The manifest and the config blob share one pull scope: one token serves both.
        Assert.Equal(1, registry.TokenServer.IssuedCount);
        Assert.Equal("bob", registry.TokenServer.Requests.Single().User);

        var wrong = await GuestPullCli.RunAsync("inspect", "--tls-ca-file", registry.CaCertificatePath!, "--creds", "bob:nope", reference);
        CliAssert.Failed(wrong, 1, "rejected the credentials of user \"bob\"");

        var anonymous = await GuestPullCli.RunAsync("inspect", "--tls-ca-file", registry.CaCertificatePath!, reference);
        CliAssert.Failed(anonymous, 1, "requires credentials");
    }

    [Fact]
    public async Task APlainHttpTokenServerOnAnotherPortGetsNoPassword()
    {
        await using var registry = await RegistryInstance.StartAsync(new RegistryOptions
        {
            TokenAuth = new TokenServerOptions { Users = new Dictionary<string, string> { ["bob"] = "hunter2" } },
        }, Timeout);
        Assert.Equal("http", registry.TokenServer!.Realm.Scheme);
        Assert.NotEqual(registry.Host, registry.TokenServer.Realm.Authority);
        var reference = registry.Host + "/" + Repo;

        var withheld = await GuestPullCli.RunAsync("inspect", "--insecure-registry", registry.Host, "--creds", "bob:hunter2", reference);

        CliAssert.Failed(withheld, 1, "requires credentials", "the credentials for " + registry.Host + " were withheld by policy", registry.TokenServer.Realm.Authority);
        Assert.NotEmpty(registry.TokenServer.Requests);
        Assert.All(registry.TokenServer.Requests, request => Assert.Null(request.User));
    }
}
