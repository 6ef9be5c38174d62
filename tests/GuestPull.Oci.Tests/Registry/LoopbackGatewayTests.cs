using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using GuestPull.Oci.Model;
using GuestPull.Oci.Registry;
using GuestPull.Oci.Registry.Auth;
using GuestPull.Oci.Registry.Configuration;
using GuestPull.Oci.Tests.Registry.Auth;
using Microsoft.Extensions.Logging.Abstractions;

namespace GuestPull.Oci.Tests.Registry;

/// A registry on the node's loopback, seen from a VM: the connection goes to the gateway, everything
/// above TCP keeps the registry's own name. The "node" here is a server on 127.0.0.2 standing in
/// for the gateway, while the same port on 127.0.0.1 is held bound and not listening, so dialling
/// the registry's own address is refused for certain.
public sealed class LoopbackGatewayTests : IAsyncLifetime
{
    private static readonly IPAddress Gateway = IPAddress.Parse("127.0.0.2");

    private readonly Socket _reserved;
    private readonly TinyHttpServer _server;

    public LoopbackGatewayTests()
    {
        _reserved = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _reserved.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        Port = ((IPEndPoint)_reserved.LocalEndPoint!).Port;
        _server = TinyHttpServer.Start(new IPEndPoint(Gateway, Port), Answer);
    }

    private int Port { get; }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _reserved.Dispose();
    }

    [Theory]
    [InlineData("localhost", true)]
    [InlineData("LOCALHOST", true)]
    [InlineData("localhost.", true)]
    [InlineData("127.0.0.1", true)]
    [InlineData("127.45.6.7", true)]
    [InlineData("::1", true)]
    [InlineData("[::1]", true)]
    [InlineData("[::ffff:127.0.0.1]", true)]
    [InlineData("10.0.2.2", false)]
    [InlineData("128.0.0.1", false)]
    [InlineData("[::2]", false)]
    [InlineData("registry.local", false)]
    [InlineData("localhost.example.com", false)]
    [InlineData("mylocalhost", false)]
    public void LoopbackHosts_AreTheLocalhostNameAndLoopbackAddresses(string host, bool loopback) =>
        Assert.Equal(loopback, LoopbackDialer.IsLoopbackHost(host));

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("localhost")]
    [InlineData("127.9.9.9")]
    [InlineData("[::1]")]
    public async Task LoopbackRegistry_IsDialledAtTheGateway_WithItsOwnHostHeader(string host)
    {
        using var transport = Transport(Gateway);
        using var response = await transport.SendAsync(new Uri($"http://{host}:{Port}/v2/"), Get, "ping", CancellationToken.None);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var request = Assert.Single(_server.Requests);
        Assert.Equal(("GET", "/v2/"), (request.Method, request.Target));
        Assert.Equal($"{host}:{Port}", request.Headers["Host"]);
    }

    [Fact]
    public async Task WithoutAGateway_LoopbackIsTheMachinesOwn_AndTheConnectionIsRefused()
    {
        using var transport = Transport(gateway: null);
        var error = await Assert.ThrowsAsync<RegistryException>(() => transport.SendAsync(new Uri($"http://127.0.0.1:{Port}/v2/"), Get, "ping", CancellationToken.None));

        Assert.Contains($"cannot connect to 127.0.0.1:{Port}", error.Message, StringComparison.Ordinal);
        Assert.Contains("refused", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public async Task AGatewayThatRefuses_IsNamedInTheError()
    {
        using var transport = Transport(IPAddress.Parse("127.0.0.3"));
        var error = await Assert.ThrowsAsync<RegistryException>(() => transport.SendAsync(new Uri($"http://127.0.0.1:{Port}/v2/"), Get, "ping", CancellationToken.None));

        Assert.Contains($"cannot connect to 127.0.0.1:{Port}", error.Message, StringComparison.Ordinal);
        Assert.Contains($"dialled the loopback gateway 127.0.0.3:{Port}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OtherHosts_AreConnectedAsUsual()
    {
        // Needs an address of this machine off loopback; a machine without one has nothing to show.
        var own = NetworkInterface.GetAllNetworkInterfaces()
            .Where(nic => nic.OperationalStatus == OperationalStatus.Up && nic.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(nic => nic.GetIPProperties().UnicastAddresses)
            .Select(unicast => unicast.Address)
            .FirstOrDefault(address => address.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(address));
        if (own is null)
        {
            return;
        }

        await using var direct = TinyHttpServer.Start(new IPEndPoint(own, 0), Answer);
        using var transport = Transport(IPAddress.Parse("127.0.0.3"));
        using var response = await transport.SendAsync(new Uri($"http://{own}:{direct.Port}/v2/"), Get, "ping", CancellationToken.None);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal($"{own}:{direct.Port}", Assert.Single(direct.Requests).Headers["Host"]);
    }

    [Fact]
    public async Task Image_IsPulledUnderItsOwnName_WithItsOwnCredentials()
    {
        var registry = $"127.0.0.1:{Port}";
        var basic = Convert.ToBase64String(Encoding.UTF8.GetBytes("puller:secret"));
        var auth = AuthFile.Parse("{\"auths\":{\"" + registry + "\":{\"auth\":\"" + basic + "\"}}}", "auth.json");
        using var client = new RegistryClient(
            new RegistryClientOptions
            {
                Registries = RegistriesConfiguration.Empty.WithInsecureRegistries([registry]),
                AuthFile = auth,
                CertificateDirectories = [],
                MaxAttempts = 1,
                LoopbackGateway = Gateway,
            },
            NullLogger<RegistryClient>.Instance);

        var fetched = await client.GetManifestAsync(ImageReference.Parse($"{registry}/app:1"), CancellationToken.None);

        Assert.Equal(registry, fetched.ServedBy);
        var requests = _server.Requests.Where(r => r.Target == "/v2/app/manifests/1").ToList();
        Assert.NotEmpty(requests);
        Assert.All(requests, r => Assert.Equal(registry, r.Headers["Host"]));
        Assert.Contains(requests, r => r.Headers.GetValueOrDefault("Authorization") == "Basic " + basic);
    }

    [Fact]
    public async Task Tls_KeepsTheRegistrysNameForSniAndTheCertificateCheck()
    {
        using var directory = new TempDirectory();
        var (authority, certificate) = CreateCertificates("localhost");
        using (authority)
        using (certificate)
        {
            var caFile = directory.Write("ca.pem", authority.ExportCertificatePem());
            await using var tls = TinyHttpServer.Start(new IPEndPoint(Gateway, 0), Answer, certificate);
            using var transport = Transport(Gateway, caFile);

            using var response = await transport.SendAsync(new Uri($"https://localhost:{tls.Port}/v2/"), Get, "ping", CancellationToken.None);

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("localhost", Assert.Single(tls.ServerNames));
            Assert.Equal($"localhost:{tls.Port}", Assert.Single(tls.Requests).Headers["Host"]);
        }
    }

    [Fact]
    public async Task Tls_ACertificateForAnotherName_IsStillRefused()
    {
        using var directory = new TempDirectory();
        var (authority, certificate) = CreateCertificates("registry.example");
        using (authority)
        using (certificate)
        {
            var caFile = directory.Write("ca.pem", authority.ExportCertificatePem());
            await using var tls = TinyHttpServer.Start(new IPEndPoint(Gateway, 0), Answer, certificate);
            using var transport = Transport(Gateway, caFile);

            var error = await Assert.ThrowsAsync<RegistryException>(() => transport.SendAsync(new Uri($"https://localhost:{tls.Port}/v2/"), Get, "ping", CancellationToken.None));
            Assert.Contains($"TLS connection to localhost:{tls.Port} failed", error.Message, StringComparison.Ordinal);
        }
    }

    private static HttpRequestMessage Get(Uri uri, bool sameOrigin) => new(HttpMethod.Get, uri);

    private static RegistryTransport Transport(IPAddress? gateway, string? caFile = null) =>
        new(new RegistryClientOptions { LoopbackGateway = gateway, CaFile = caFile, CertificateDirectories = [], MaxAttempts = 1 }, NullLogger.Instance);

    // A registry that wants Basic credentials for manifests and serves one OCI image manifest.
    private static TinyHttpServer.Response Answer(TinyHttpServer.Request request)
    {
        if (!request.Target.StartsWith("/v2/app/manifests/", StringComparison.Ordinal))
        {
            return new TinyHttpServer.Response(200, "{}", new Dictionary<string, string> { ["Content-Type"] = "application/json" });
        }

        if (!request.Headers.ContainsKey("Authorization"))
        {
            return new TinyHttpServer.Response(401, string.Empty, new Dictionary<string, string> { ["WWW-Authenticate"] = "Basic realm=\"test\"" });
        }

        var config = Digest.ComputeSha256("{}"u8);
        var manifest = $$"""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{{config}}","size":2},"layers":[]}""";
        return new TinyHttpServer.Response(200, manifest, new Dictionary<string, string> { ["Content-Type"] = "application/vnd.oci.image.manifest.v1+json" });
    }

    internal static (X509Certificate2 Authority, X509Certificate2 Leaf) CreateCertificates(string dnsName)
    {
        using var authorityKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var authorityRequest = new CertificateRequest("CN=GuestPull test CA", authorityKey, HashAlgorithmName.SHA256);
        authorityRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        authorityRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        var now = DateTimeOffset.UtcNow;
        var authority = authorityRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddHours(1));

        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var leafRequest = new CertificateRequest($"CN={dnsName}", leafKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(dnsName);
        leafRequest.CertificateExtensions.Add(names.Build());
        leafRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var unkeyed = leafRequest.Create(authority, now.AddMinutes(-5), now.AddHours(1), RandomNumberGenerator.GetBytes(8));
        return (authority, unkeyed.CopyWithPrivateKey(leafKey));
    }
}
