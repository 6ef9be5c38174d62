using System.Net;
using System.Text;
using System.Text.Json;
using GuestPull.Images.Signatures;
using GuestPull.Oci.Model;
using GuestPull.Oci.Registry;
using GuestPull.Oci.Registry.Configuration;
using GuestPull.Testing;

namespace GuestPull.Images.Tests.Signatures;

/// <summary>
/// docker-registry 2.8 has no referrers API, so the fallback from the missing
/// <c>sha256-&lt;hex&gt;.sig</c> tag to <c>GET /v2/&lt;name&gt;/referrers/&lt;digest&gt;</c> is tested
/// against a small HTTP server that serves exactly what a referrers-capable registry would.
/// </summary>
public sealed class ReferrersFallbackTests : IAsyncLifetime
{
    private const string Repository = "team/app";
    private readonly HttpListener _listener = new();
    private readonly Dictionary<string, (string ContentType, byte[] Body)> _routes = new(StringComparer.Ordinal);
    private readonly List<string> _requests = [];
    private readonly CosignKey _key = new();
    private readonly TempDirectory _directory = TempDirectory.Create("referrers");
    private Task _serving = Task.CompletedTask;
    private string _host = string.Empty;

    public Task InitializeAsync()
    {
        var port = FreePort.Get();
        _host = $"127.0.0.1:{port}";
        _listener.Prefixes.Add($"http://{_host}/");
        _listener.Start();
        _serving = ServeAsync();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        // Close alone: after Stop, the managed listener's Close binds the port again to remove the prefix,
        // and fails with "Address already in use" when a parallel test took the port meanwhile.
        _listener.Close();
        await _serving.ContinueWith(_ => { }, TaskScheduler.Default);
        _key.Dispose();
        _directory.Dispose();
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            var path = context.Request.Url!.AbsolutePath;
            lock (_requests)
            {
                _requests.Add(path);
            }

            if (_routes.TryGetValue(path, out var route))
            {
                context.Response.StatusCode = 200;
                context.Response.ContentType = route.ContentType;
                context.Response.Headers["Docker-Content-Digest"] = Digest.ComputeSha256(route.Body).ToString();
                await context.Response.OutputStream.WriteAsync(route.Body);
            }
            else
            {
                context.Response.StatusCode = 404;
            }

            context.Response.Close();
        }
    }

    private void Serve(string path, string contentType, byte[] body) => _routes[$"/v2/{Repository}/{path}"] = (contentType, body);

    private static byte[] Json(object value) => JsonSerializer.SerializeToUtf8Bytes(value);

    private static object Descriptor(string mediaType, byte[] body) => new Dictionary<string, object>
    {
        ["mediaType"] = mediaType,
        ["digest"] = Digest.ComputeSha256(body).ToString(),
        ["size"] = body.Length,
    };

    [Fact]
    public async Task SignatureListedByTheReferrersApiIsFoundWhenTheTagIsMissing()
    {
        _routes["/v2/"] = ("application/json", Encoding.UTF8.GetBytes("{}"));
        var config = Encoding.UTF8.GetBytes("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}");
        var image = Json(new Dictionary<string, object>
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = MediaTypes.OciManifest,
            ["config"] = Descriptor(MediaTypes.OciConfig, config),
            ["layers"] = Array.Empty<object>(),
        });
        var imageDigest = Digest.ComputeSha256(image);
        var reference = ImageReference.Parse($"{_host}/{Repository}:1");
        var payload = CosignKey.Payload(reference.ToString(), imageDigest.ToString());
        var empty = Encoding.UTF8.GetBytes("{}");
        var signatureManifest = Json(new Dictionary<string, object>
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = MediaTypes.OciManifest,
            ["artifactType"] = SigstoreSignatureFetcher.SignatureArtifactType,
            ["config"] = Descriptor("application/vnd.oci.empty.v1+json", empty),
            ["layers"] = new[]
            {
                new Dictionary<string, object>
                {
                    ["mediaType"] = SigstoreSignature.PayloadMediaType,
                    ["digest"] = Digest.ComputeSha256(payload).ToString(),
                    ["size"] = payload.Length,
                    ["annotations"] = new Dictionary<string, string> { [SigstoreSignature.SignatureAnnotation] = _key.Sign(payload) },
                },
            },
            ["subject"] = Descriptor(MediaTypes.OciManifest, image),
        });
        var signatureDigest = Digest.ComputeSha256(signatureManifest);
        var referrers = Json(new Dictionary<string, object>
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = MediaTypes.OciIndex,
            ["manifests"] = new[]
            {
                new Dictionary<string, object>
                {
                    ["mediaType"] = MediaTypes.OciManifest,
                    ["digest"] = signatureDigest.ToString(),
                    ["size"] = signatureManifest.Length,
                    ["artifactType"] = SigstoreSignatureFetcher.SignatureArtifactType,
                },
                new Dictionary<string, object>
                {
                    ["mediaType"] = MediaTypes.OciManifest,
                    ["digest"] = Digest.ComputeSha256(empty).ToString(),
                    ["size"] = 2,
                    ["artifactType"] = "application/spdx+json",
                },
            },
        });
        Serve("manifests/1", MediaTypes.OciManifest, image);
        Serve($"manifests/{imageDigest}", MediaTypes.OciManifest, image);
        Serve($"blobs/{Digest.ComputeSha256(config)}", "application/octet-stream", config);
        Serve($"referrers/{imageDigest}", MediaTypes.OciIndex, referrers);
        Serve($"manifests/{signatureDigest}", MediaTypes.OciManifest, signatureManifest);
        Serve($"blobs/{Digest.ComputeSha256(payload)}", "application/octet-stream", payload);

        var keyPath = _directory.Combine("cosign.pub");
        await File.WriteAllTextAsync(keyPath, _key.PublicKeyPem);
        var policy = PolicyTestHelpers.Parse($"{{\"default\": [{{\"type\": \"sigstoreSigned\", \"keyPath\": {PolicyTestHelpers.Json(keyPath)}}}]}}");
        using var client = new RegistryClient(new RegistryClientOptions { Registries = RegistriesConfiguration.Empty.WithInsecureRegistries([_host]), MaxAttempts = 1 });
        using var evaluator = new PolicyEvaluator(policy, null, client);
        var resolved = await client.ResolveImageAsync(reference, null, CancellationToken.None);
        var decision = await evaluator.EvaluateAsync(resolved, CancellationToken.None);

        Assert.True(decision.Accepted, decision.ToString());
        lock (_requests)
        {
            Assert.Contains($"/v2/{Repository}/manifests/{imageDigest.Algorithm}-{imageDigest.Hex}.sig", _requests);
            Assert.Contains($"/v2/{Repository}/referrers/{imageDigest}", _requests);
        }
    }

    [Fact]
    public async Task WithoutTagOrReferrersApiThereIsNoSignature()
    {
        _routes["/v2/"] = ("application/json", Encoding.UTF8.GetBytes("{}"));
        var manifest = Json(new Dictionary<string, object>
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = MediaTypes.OciManifest,
            ["config"] = Descriptor(MediaTypes.OciConfig, Encoding.UTF8.GetBytes("{}")),
            ["layers"] = Array.Empty<object>(),
        });
        using var client = new RegistryClient(new RegistryClientOptions { Registries = RegistriesConfiguration.Empty.WithInsecureRegistries([_host]), MaxAttempts = 1 });
        var digest = Digest.ComputeSha256(manifest);
        var fetched = await SigstoreSignatureFetcher.FetchAsync(client, ImageReference.Parse($"{_host}/{Repository}:1"), digest, CancellationToken.None);
        Assert.Empty(fetched.Signatures);
        Assert.Null(fetched.Error);
        Assert.Contains("(absent) and the referrers API", fetched.Location, StringComparison.Ordinal);
    }
}
