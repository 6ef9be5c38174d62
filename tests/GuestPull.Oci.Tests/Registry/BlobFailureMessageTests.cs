using System.Net;
using System.Text;
using GuestPull.Oci.Model;
using GuestPull.Oci.Registry;
using GuestPull.Oci.Registry.Auth;
using GuestPull.Oci.Registry.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace GuestPull.Oci.Tests.Registry;

/// Blob downloads that fail: the message names the cause (a short blob, credentials kept back by
/// policy), not the HTTP symptom the client saw last.
public sealed class BlobFailureMessageTests
{
    private static readonly byte[] Stored = Encoding.ASCII.GetBytes("only-half");

    // The descriptor promises twice what the registry holds.
    private static readonly Descriptor Declared = new("application/octet-stream", Digest.ComputeSha256(Encoding.ASCII.GetBytes("only-halfonly-half")), Stored.Length * 2);

    [Fact]
    public async Task ABlobShorterThanItsDescriptor_IsNamedTruncated_NotA416()
    {
        // As docker-registry answers: the whole stored blob, then 416 to a Range beyond its end.
        await using var registry = TinyHttpServer.Start(new IPEndPoint(IPAddress.Loopback, 0), request => request.Headers.ContainsKey("Range")
            ? new TinyHttpServer.Response(416, string.Empty, new Dictionary<string, string> { ["Content-Range"] = $"bytes */{Stored.Length}" })
            : new TinyHttpServer.Response(200, Encoding.ASCII.GetString(Stored)));
        using var client = Client(registry.Port);

        var ex = await Assert.ThrowsAsync<ContentVerificationException>(() => ReadBlobAsync(client, registry.Port));

        Assert.Contains($"truncated blob: 127.0.0.1:{registry.Port} has only {Stored.Length} of the {Declared.Size} bytes its descriptor declares", ex.Message, StringComparison.Ordinal);
        Assert.Contains("blob " + Declared.Digest, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ABlobShorterThanItsDescriptor_FromARegistryWithoutRange_IsNamedTruncated()
    {
        await using var registry = TinyHttpServer.Start(new IPEndPoint(IPAddress.Loopback, 0), _ => new TinyHttpServer.Response(200, Encoding.ASCII.GetString(Stored)));
        using var client = Client(registry.Port);

        var ex = await Assert.ThrowsAsync<ContentVerificationException>(() => ReadBlobAsync(client, registry.Port));

        Assert.True(ex.Message.Contains($"truncated blob: 127.0.0.1:{registry.Port} has only {Stored.Length} of the {Declared.Size} bytes", StringComparison.Ordinal), ex.Message);
        Assert.Equal(2, registry.Requests.Count);
    }

    [Fact]
    public async Task ARedirectToStorageThatWantsCredentials_SaysTheyWereWithheldByPolicy()
    {
        await using var storage = TinyHttpServer.Start(new IPEndPoint(IPAddress.Loopback, 0), _ =>
            new TinyHttpServer.Response(401, string.Empty, new Dictionary<string, string> { ["WWW-Authenticate"] = "Basic realm=\"storage\"" }));
        await using var registry = TinyHttpServer.Start(new IPEndPoint(IPAddress.Loopback, 0), request => request.Headers.ContainsKey("Authorization")
            ? new TinyHttpServer.Response(307, string.Empty, new Dictionary<string, string> { ["Location"] = $"http://127.0.0.1:{storage.Port}/blob" })
            : new TinyHttpServer.Response(401, string.Empty, new Dictionary<string, string> { ["WWW-Authenticate"] = "Basic realm=\"registry\"" }));
        using var client = Client(registry.Port, new RegistryCredential("alice", "s3cret"));

        var ex = await Assert.ThrowsAsync<RegistryAuthenticationException>(() => ReadBlobAsync(client, registry.Port));

        Assert.Contains($"redirected to http://127.0.0.1:{storage.Port}, which asks for credentials", ex.Message, StringComparison.Ordinal);
        Assert.Contains("credentials of user \"alice\" were withheld by policy because the redirect left the registry's origin", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("rejected the password", ex.Message, StringComparison.Ordinal);
        Assert.All(storage.Requests, request => Assert.False(request.Headers.ContainsKey("Authorization")));
    }

    private static async Task ReadBlobAsync(RegistryClient client, int port)
    {
        await using var stream = await client.OpenBlobAsync(ImageReference.Parse($"127.0.0.1:{port}/app:1"), Declared, CancellationToken.None);
        await stream.CopyToAsync(Stream.Null);
    }

    private static RegistryClient Client(int port, RegistryCredential? credential = null) => new(
        new RegistryClientOptions
        {
            Registries = RegistriesConfiguration.Empty.WithInsecureRegistries([$"127.0.0.1:{port}"]),
            ExplicitCredentials = credential,
            ExplicitCredentialsHost = credential is null ? null : $"127.0.0.1:{port}",
            CertificateDirectories = [],
            MaxAttempts = 2,
            RetryBaseDelay = TimeSpan.FromMilliseconds(10),
        },
        NullLogger<RegistryClient>.Instance);
}
