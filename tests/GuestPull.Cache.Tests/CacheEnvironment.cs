using System.Security.Cryptography;
using System.Text;
using GuestPull.Images.Pull;
using GuestPull.Images.Store;
using GuestPull.Oci.Model;
using GuestPull.Oci.Registry;
using GuestPull.Oci.Registry.Auth;
using GuestPull.Oci.Registry.Configuration;
using GuestPull.Testing;

namespace GuestPull.Cache.Tests;

/// <summary>
/// A real docker-registry holding <see cref="TwoLayerImageFixture"/>'s image, a cache in front of it
/// (in this process, on a free loopback port), and clients that use the cache as a digest-only mirror.
/// </summary>
internal sealed class CacheEnvironment : IAsyncDisposable
{
    public const string Repository = "cache/busybox";

    /// <summary>
    /// The name images are pulled by, remapped to the registry's 127.0.0.1:PORT in both the client's
    /// and the cache's registries.conf: a mirror location names its upstream as a path component,
    /// and a path component cannot carry a port (registries.conf would read it as a tag).
    /// </summary>
    public const string RegistryName = "registry.test";

    private CacheEnvironment(TempDirectory work, RegistryInstance registry, RunningCache cache)
    {
        Work = work;
        Registry = registry;
        Cache = cache;
    }

    public TempDirectory Work { get; }

    public RegistryInstance Registry { get; }

    public RunningCache Cache { get; }

    public static string Reference => $"{RegistryName}/{Repository}:{TwoLayerImageFixture.Tag}";

    /// <summary>The cache's URL path prefix for the test repository (the mirror location's form).</summary>
    public string CachePath => $"http://{Cache.Address}/v2/{RegistryName}/{Repository}";

    public static async Task<CacheEnvironment> StartAsync(
        TwoLayerImageFixture image,
        CancellationToken cancellationToken,
        RegistryOptions? registryOptions = null,
        long maxSize = CacheOptions.DefaultMaxSize,
        bool cacheHasCredentials = true)
    {
        var work = TempDirectory.Create("cache-test");
        RegistryInstance? registry = null;
        try
        {
            registry = await RegistryInstance.StartAsync(registryOptions ?? new RegistryOptions { Name = "cache-upstream" }, cancellationToken);
            await ImageBuilder.PushAsync(image.LayoutDirectory, TwoLayerImageFixture.Tag, registry, $"{Repository}:{TwoLayerImageFixture.Tag}", new PushOptions { PreserveDigests = true }, cancellationToken);
            AuthFile? nodeCredentials = null;
            if (registry.DefaultCredentials is { } credentials && cacheHasCredentials)
            {
                var authPath = work.Combine("node-auth.json");
                var token = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credentials.Username}:{credentials.Password}"));
                var json = System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object> { ["auths"] = new Dictionary<string, object> { [registry.Host] = new Dictionary<string, string> { ["auth"] = token } } });
                await File.WriteAllTextAsync(authPath, json, cancellationToken);
                nodeCredentials = AuthFile.Load(authPath);
            }

            var cache = await CacheHost.StartAsync(
                new CacheOptions
                {
                    Listen = "127.0.0.1:0",
                    Root = work.Combine("cache"),
                    MaxSize = maxSize,
                    LogLevel = Microsoft.Extensions.Logging.LogLevel.Warning,
                    Upstream = new RegistryClientOptions
                    {
                        Registries = RegistriesConfiguration.Parse(NodeRegistriesConf(registry.Host), "cache registries.conf").WithInsecureRegistries([registry.Host]),
                        AuthFile = nodeCredentials ?? AuthFile.Empty,
                        CertificateDirectories = [],
                    },
                },
                cancellationToken);
            return new CacheEnvironment(work, registry, cache);
        }
        catch
        {
            if (registry is not null)
            {
                await registry.DisposeAsync();
            }

            work.Dispose();
            throw;
        }
    }

    /// <summary>The cache's registries.conf: <see cref="RegistryName"/> is the registry at <paramref name="registryHost"/>.</summary>
    public static string NodeRegistriesConf(string registryHost) =>
        $"""
        [[registry]]
        prefix = "{RegistryName}"
        location = "{registryHost}"
        insecure = true
        """;

    /// <summary>registries.conf for a client: the registry, with <paramref name="mirrorHost"/> as its digest-only mirror.</summary>
    public static string ClientRegistriesConf(string registryHost, string mirrorHost) =>
        NodeRegistriesConf(registryHost) + $"""


        [[registry.mirror]]
        location = "{mirrorHost}/{RegistryName}"
        insecure = true
        pull-from-mirror = "digest-only"
        """;

    public RegistryClientOptions ClientOptions(string? mirrorHost = null, RegistryCredential? credentials = null) => new()
    {
        Registries = RegistriesConfiguration.Parse(ClientRegistriesConf(Registry.Host, mirrorHost ?? Cache.Address), "test registries.conf"),
        ExplicitCredentials = credentials,
        ExplicitCredentialsHost = credentials is null ? null : Registry.Host,
        CertificateDirectories = [],
        RetryBaseDelay = TimeSpan.FromMilliseconds(20),
    };

    /// <summary>Pulls the image into a new layer store named <paramref name="store"/>; returns a digest of the unpacked layers' content.</summary>
    public Task<string> PullAsync(string store, CancellationToken cancellationToken, string? mirrorHost = null, RegistryCredential? credentials = null) =>
        PullAsync(store, ClientOptions(mirrorHost, credentials), Reference, cancellationToken);

    /// <summary>
    /// Pulls the image by the registry's own 127.0.0.1:PORT name with the cache as the client's node
    /// cache (the agent's <c>node_cache</c>): no registries.conf at all.
    /// </summary>
    public Task<string> PullWithNodeCacheAsync(string store, CancellationToken cancellationToken) =>
        PullAsync(
            store,
            new RegistryClientOptions
            {
                Registries = RegistriesConfiguration.Empty.WithInsecureRegistries([Registry.Host]),
                NodeCache = Cache.Address,
                CertificateDirectories = [],
            },
            $"{Registry.Host}/{Repository}:{TwoLayerImageFixture.Tag}",
            cancellationToken);

    private async Task<string> PullAsync(string store, RegistryClientOptions options, string reference, CancellationToken cancellationToken)
    {
        using var client = new RegistryClient(options);
        await using var layers = await LayerStore.OpenAsync(Work.Combine(store), cancellationToken);
        var pulled = await new ImagePuller(client, layers).PullAsync(ImageReference.Parse(reference), null, null, cancellationToken);
        return TreeDigest.Of(pulled.LayerDirectories);
    }

    public async Task<int> RegistryBlobGetsAsync(string digest, CancellationToken cancellationToken) =>
        await Registry.CountBlobGetsAsync(digest, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await Cache.DisposeAsync();
        await Registry.DisposeAsync();
        Work.Dispose();
    }
}
