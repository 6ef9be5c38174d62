using System.Net;
using GuestPull.Oci.Model;
using GuestPull.Oci.Registry;
using GuestPull.Oci.Registry.Configuration;
using GuestPull.Oci.Tests.Registry.Auth;
using Microsoft.Extensions.Logging.Abstractions;

namespace GuestPull.Oci.Tests.Registry;

/// A plain-HTTP registry on 127.0.0.1, pulled without --insecure-registry: HTTPS is tried first, the
/// server answers the ClientHello as HTTP, and the client uses HTTP for that host from then on.
public sealed class LoopbackHttpFallbackTests : IAsyncLifetime
{
    private readonly TinyHttpServer _server = TinyHttpServer.Start(new IPEndPoint(IPAddress.Loopback, 0), Answer);

    private string Registry => $"127.0.0.1:{_server.Port}";

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task PlainHttpLoopbackRegistry_IsReachedAfterOneTlsAttempt_AndKeptOnHttp()
    {
        using var client = Client(RegistriesConfiguration.Empty, certificateDirectories: []);

        var first = await client.GetManifestAsync(ImageReference.Parse($"{Registry}/app:1"), CancellationToken.None);
        var handshakes = _server.TlsHandshakes;
        var second = await client.GetManifestAsync(ImageReference.Parse($"{Registry}/other:2"), CancellationToken.None);

        Assert.Equal(Registry, first.ServedBy);
        Assert.Equal(Registry, second.ServedBy);
        // The failed request and the probe that found no certificate; none once the host is known to speak HTTP.
        Assert.Equal(2, handshakes);
        Assert.Equal(handshakes, _server.TlsHandshakes);
        Assert.Contains(_server.Requests, r => r.Target == "/v2/app/manifests/1");
        Assert.Contains(_server.Requests, r => r.Target == "/v2/other/manifests/2");
    }

    [Fact]
    public async Task ACertsDirectoryForTheHost_KeepsItOnTls()
    {
        using var directory = new TempDirectory();
        Directory.CreateDirectory(Path.Combine(directory.Path, Registry));
        using var client = Client(RegistriesConfiguration.Empty, certificateDirectories: [directory.Path]);

        var error = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync(ImageReference.Parse($"{Registry}/app:1"), CancellationToken.None));

        Assert.Contains($"TLS connection to {Registry} failed", error.Message, StringComparison.Ordinal);
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public async Task ATlsRegistryWithAnUntrustedCertificate_IsNeverTakenForPlainHttp()
    {
        var (authority, certificate) = LoopbackGatewayTests.CreateCertificates("localhost");
        using (authority)
        using (certificate)
        {
            await using var tls = TinyHttpServer.Start(new IPEndPoint(IPAddress.Loopback, 0), Answer, certificate);
            using var client = Client(RegistriesConfiguration.Empty, certificateDirectories: []);

            var error = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync(ImageReference.Parse($"localhost:{tls.Port}/app:1"), CancellationToken.None));

            Assert.Contains($"TLS connection to localhost:{tls.Port} failed", error.Message, StringComparison.Ordinal);
            Assert.Empty(tls.Requests);
        }
    }

    [Fact]
    public async Task AnExplicitInsecureFalse_KeepsItOnTls()
    {
        var registries = RegistriesConfiguration.Parse($"""
            [[registry]]
            location = "{Registry}"
            insecure = false
            """, "registries.conf");
        using var client = Client(registries, certificateDirectories: []);

        var error = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync(ImageReference.Parse($"{Registry}/app:1"), CancellationToken.None));

        Assert.Contains($"TLS connection to {Registry} failed", error.Message, StringComparison.Ordinal);
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public async Task InsecureRegistry_GoesStraightToHttp()
    {
        using var client = Client(RegistriesConfiguration.Empty.WithInsecureRegistries([Registry]), certificateDirectories: []);

        await client.GetManifestAsync(ImageReference.Parse($"{Registry}/app:1"), CancellationToken.None);

        Assert.Equal(0, _server.TlsHandshakes);
    }

    private static RegistryClient Client(RegistriesConfiguration registries, IReadOnlyList<string> certificateDirectories) =>
        new(new RegistryClientOptions { Registries = registries, CertificateDirectories = certificateDirectories, MaxAttempts = 1 }, NullLogger<RegistryClient>.Instance);

    private static TinyHttpServer.Response Answer(TinyHttpServer.Request request)
    {
        if (!request.Target.Contains("/manifests/", StringComparison.Ordinal))
        {
            return new TinyHttpServer.Response(200, "{}", new Dictionary<string, string> { ["Content-Type"] = "application/json" });
        }

        var config = Digest.ComputeSha256("{}"u8);
        var manifest = $$"""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{{config}}","size":2},"layers":[]}""";
        return new TinyHttpServer.Response(200, manifest, new Dictionary<string, string> { ["Content-Type"] = "application/vnd.oci.image.manifest.v1+json" });
    }
}
