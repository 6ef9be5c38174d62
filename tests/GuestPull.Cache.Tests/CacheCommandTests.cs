using GuestPull.Testing;
using GuestPull.Testing.Traits;

namespace GuestPull.Cache.Tests;

/// <summary>The CLI path: `guestpull cache` as a daemon, `guestpull pull` through it with a registries.conf mirror.</summary>
[Trait(Requires.Trait, Requires.Components)]
public sealed class CacheCommandTests : IClassFixture<TwoLayerImageFixture>
{
    private static readonly Dictionary<string, string?> Isolated = new()
    {
        // Keep the tests independent of the machine's auth files and registries.conf.
        ["REGISTRY_AUTH_FILE"] = "/nonexistent/guestpull-tests-auth.json",
        ["XDG_RUNTIME_DIR"] = "/nonexistent",
        ["DOCKER_CONFIG"] = "/nonexistent",
        ["CONTAINERS_REGISTRIES_CONF"] = "/nonexistent/registries.conf",
    };

    private readonly TwoLayerImageFixture _image;

    public CacheCommandTests(TwoLayerImageFixture image) => _image = image;

    private static string Cli => Path.Combine(AppContext.BaseDirectory, "guestpull.dll");

    private static CancellationToken Timeout => new CancellationTokenSource(TimeSpan.FromMinutes(4)).Token;

    [Fact]
    public async Task TwoCliPullsThroughTheCacheDaemonFetchEachBlobOnce()
    {
        using var work = TempDirectory.Create("cache-cli");
        await using var registry = await RegistryInstance.StartAsync(new RegistryOptions { Name = "cache-cli" }, Timeout);
        await ImageBuilder.PushAsync(_image.LayoutDirectory, TwoLayerImageFixture.Tag, registry, $"{CacheEnvironment.Repository}:{TwoLayerImageFixture.Tag}", new PushOptions { PreserveDigests = true }, Timeout);
        var cacheAddress = $"127.0.0.1:{FreePort.Get()}";
        var nodeConf = work.Combine("node-registries.conf");
        await File.WriteAllTextAsync(nodeConf, CacheEnvironment.NodeRegistriesConf(registry.Host), Timeout);
        await using var daemon = ProcessRunner.StartBackground(
            "dotnet",
            [Cli, "cache", "--listen", cacheAddress, "--root", work.Combine("cache"), "--max-size", "1G", "--registries-conf", nodeConf],
            new BackgroundProcessOptions { Environment = Isolated });
        await daemon.WaitForLineAsync(line => line.Contains("Cache ready", StringComparison.Ordinal), TimeSpan.FromMinutes(1), Timeout);

        var conf = work.Combine("registries.conf");
        await File.WriteAllTextAsync(conf, CacheEnvironment.ClientRegistriesConf(registry.Host, cacheAddress), Timeout);

        foreach (var store in new[] { "store-1", "store-2" })
        {
            var pull = await ProcessRunner.RunAsync(
                "dotnet",
                [Cli, "pull", "--root", work.Combine(store), "--registries-conf", conf, CacheEnvironment.Reference],
                new ProcessRunOptions { ThrowOnFailure = false, Environment = Isolated, Timeout = TimeSpan.FromMinutes(3) },
                Timeout);
            Assert.True(pull.Succeeded, $"{pull.CommandLine}: {pull.StandardError}\n{daemon.DescribeOutput()}");
            Assert.Contains("2 layers downloaded", pull.StandardOutput, StringComparison.Ordinal);
        }

        foreach (var blob in _image.BlobDigests)
        {
            Assert.Equal(1, await registry.CountBlobGetsAsync(blob, Timeout));
        }

        using var http = new HttpClient();
        var metrics = await http.GetStringAsync(new Uri($"http://{cacheAddress}/metrics"), Timeout);
        Assert.Contains($"guestpull_cache_upstream_fetches_total {_image.BlobDigests.Count}\n", metrics, StringComparison.Ordinal);
        Assert.Contains("guestpull_cache_hits_total ", metrics, StringComparison.Ordinal);
    }
}
