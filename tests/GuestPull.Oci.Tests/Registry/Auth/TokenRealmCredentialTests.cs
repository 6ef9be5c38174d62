using System.Net;
using System.Text;
using GuestPull.Oci.Model;
using GuestPull.Oci.Registry;
using GuestPull.Oci.Registry.Auth;
using GuestPull.Oci.Registry.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace GuestPull.Oci.Tests.Registry.Auth;

/// Where a registry's Bearer challenge may send the user's password: to a token realm over HTTPS, or
/// on the registry's very own scheme, host and port. A plain-HTTP realm on another port of the same
/// address is another server (any local user can listen there), so it gets no credentials.
public sealed class TokenRealmCredentialTests
{
    private const string User = "puller";
    private const string Password = "s3cret-token-pass";
    private static readonly string Basic = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(User + ":" + Password));

    [Fact]
    public async Task APlainHttpRealmOnAnotherPort_GetsNoCredentials_AndTheErrorSaysWhy()
    {
        // The token server would hand out a token for the password: the client must not offer it.
        await using var tokens = TinyHttpServer.Start(new IPEndPoint(IPAddress.Loopback, 0), TokenServer);
        await using var registry = TinyHttpServer.Start(new IPEndPoint(IPAddress.Loopback, 0), request => Registry(request, $"http://127.0.0.1:{tokens.Port}/token"));
        using var client = Client(registry.Port);

        var error = await Assert.ThrowsAsync<RegistryAuthenticationException>(() => client.GetManifestAsync(Reference(registry.Port), CancellationToken.None));

        Assert.NotEmpty(tokens.Requests);
        Assert.All(tokens.Requests, request => Assert.False(request.Headers.ContainsKey("Authorization"), "credentials reached a plain-HTTP token server on another port"));
        Assert.Contains($"credentials for 127.0.0.1:{registry.Port} were withheld by policy", error.Message, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{tokens.Port}", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task APlainHttpRealmUnderAnotherHostNameOnTheSamePort_GetsNoCredentials()
    {
        var port = 0;
        await using var registry = TinyHttpServer.Start(new IPEndPoint(IPAddress.Loopback, 0), request => request.Target.StartsWith("/token", StringComparison.Ordinal)
            ? TokenServer(request)
            : Registry(request, $"http://localhost:{Volatile.Read(ref port)}/token"));
        Volatile.Write(ref port, registry.Port);
        using var client = Client(registry.Port);

        var error = await Assert.ThrowsAsync<RegistryAuthenticationException>(() => client.GetManifestAsync(Reference(registry.Port), CancellationToken.None));

        Assert.Contains(registry.Requests, request => request.Target.StartsWith("/token", StringComparison.Ordinal));
        Assert.All(registry.Requests, request => Assert.False(request.Headers.GetValueOrDefault("Authorization")?.StartsWith("Basic ", StringComparison.Ordinal) == true));
        Assert.Contains("withheld by policy", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task APlainHttpRealmOnTheRegistrysOwnPort_GetsTheCredentials()
    {
        var port = 0;
        await using var registry = TinyHttpServer.Start(new IPEndPoint(IPAddress.Loopback, 0), request => request.Target.StartsWith("/token", StringComparison.Ordinal)
            ? TokenServer(request)
            : Registry(request, $"http://127.0.0.1:{Volatile.Read(ref port)}/token"));
        Volatile.Write(ref port, registry.Port);
        using var client = Client(registry.Port);

        var fetched = await client.GetManifestAsync(Reference(registry.Port), CancellationToken.None);

        Assert.Equal($"127.0.0.1:{registry.Port}", fetched.ServedBy);
        var tokenRequest = Assert.Single(registry.Requests, request => request.Target.StartsWith("/token", StringComparison.Ordinal));
        Assert.Equal(Basic, tokenRequest.Headers["Authorization"]);
    }

    private static ImageReference Reference(int port) => ImageReference.Parse($"127.0.0.1:{port}/app:1");

    private static RegistryClient Client(int port) => new(
        new RegistryClientOptions
        {
            Registries = RegistriesConfiguration.Empty.WithInsecureRegistries([$"127.0.0.1:{port}"]),
            ExplicitCredentials = new RegistryCredential(User, Password),
            ExplicitCredentialsHost = $"127.0.0.1:{port}",
            CertificateDirectories = [],
            MaxAttempts = 1,
        },
        NullLogger<RegistryClient>.Instance);

    // A token server that, like a real one, gives a token only for the right password.
    private static TinyHttpServer.Response TokenServer(TinyHttpServer.Request request) =>
        request.Headers.GetValueOrDefault("Authorization") == Basic
            ? new TinyHttpServer.Response(200, "{\"token\":\"granted\"}", new Dictionary<string, string> { ["Content-Type"] = "application/json" })
            : new TinyHttpServer.Response(401, "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\"}]}", new Dictionary<string, string> { ["Content-Type"] = "application/json" });

    // A registry that wants a Bearer token from `realm` and serves one OCI image manifest.
    private static TinyHttpServer.Response Registry(TinyHttpServer.Request request, string realm)
    {
        if (request.Headers.GetValueOrDefault("Authorization") != "Bearer granted")
        {
            return new TinyHttpServer.Response(401, string.Empty, new Dictionary<string, string>
            {
                ["WWW-Authenticate"] = $"Bearer realm=\"{realm}\",service=\"test\",scope=\"repository:app:pull\"",
            });
        }

        var config = Digest.ComputeSha256("{}"u8);
        var manifest = $$"""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{{config}}","size":2},"layers":[]}""";
        return new TinyHttpServer.Response(200, manifest, new Dictionary<string, string> { ["Content-Type"] = "application/vnd.oci.image.manifest.v1+json" });
    }
}
