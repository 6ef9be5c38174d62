using GuestPull.Agent.Configuration;
using GuestPull.Agent.Storage;
using GuestPull.Images.Store;
using GuestPull.Testing;
using GuestPull.Testing.Traits;
using GuestPull.Ttrpc;
using Microsoft.Extensions.Logging.Abstractions;

namespace GuestPull.Agent.Tests;

/// <summary>
/// The agent's image service decrypts images skopeo encrypted with the keys of its configuration, and its
/// cached path never hands a decrypted image to a pull without the key.
/// </summary>
[Trait(Requires.Trait, Requires.Components)]
public sealed class EncryptedImageTests : IAsyncLifetime
{
    private readonly TempDirectory _directory = TempDirectory.Create("agent-encrypted");
    private RegistryInstance _registry = null!;

    private string Image => $"{_registry.Host}/enc/app:1";

    private string PrivateKey => _directory.Combine("key.pem");

    public async Task InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        _registry = await RegistryInstance.StartAsync(timeout.Token);
        var layout = _directory.Combine("layout");
        await ImageBuilder.BuildBusyboxAsync(layout, "app", new ImageConfigOptions { Cmd = ["echo", "encrypted"] }, timeout.Token);
        await ImageBuilder.PushAsync(layout, "app", _registry, "plain/app:1", new PushOptions { PreserveDigests = true }, timeout.Token);
        var options = new ProcessRunOptions { Timeout = TimeSpan.FromMinutes(1) };
        await ProcessRunner.RunAsync("openssl", ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", PrivateKey], options, timeout.Token);
        await ProcessRunner.RunAsync("openssl", ["pkey", "-in", PrivateKey, "-pubout", "-out", _directory.Combine("key.pub")], options, timeout.Token);
        await Skopeo.RunAsync(
            ["copy", "--src-tls-verify=false", "--dest-tls-verify=false", "--encryption-key", "jwe:" + _directory.Combine("key.pub"), $"docker://{_registry.Host}/plain/app:1", "docker://" + Image],
            TimeSpan.FromMinutes(3),
            timeout.Token);
    }

    public async Task DisposeAsync()
    {
        await _registry.DisposeAsync();
        _directory.Dispose();
    }

    private AgentSettings Settings(bool withKey) => new()
    {
        ImageRoot = _directory.Combine("image"),
        RegistriesConf = WriteFile("registries.conf", "unqualified-search-registries = []\n"),
        AuthFile = WriteFile("auth.json", "{\"auths\":{}}"),
        InsecureRegistries = [_registry.Host],
        DecryptionKeys = withKey ? [PrivateKey] : [],
    };

    private string WriteFile(string name, string content)
    {
        var path = _directory.Combine(name);
        File.WriteAllText(path, content);
        return path;
    }

    private async Task<GuestImage> PullAsync(AgentSettings settings)
    {
        await using var store = await LayerStore.OpenAsync(settings.ImageRoot, NullLogger.Instance);
        using var service = new GuestImageService(settings, store, NullLoggerFactory.Instance);
        return await service.PullAsync(Image, CancellationToken.None);
    }

    [Fact]
    public async Task TheKeyDecryptsAndTheCacheServesNoPullWithoutIt()
    {
        var first = await PullAsync(Settings(withKey: true));
        Assert.False(first.FromCache);
        Assert.True(File.Exists(Path.Combine(first.LayerDirectories[^1], "bin", "busybox")));

        // Same store, same image recorded, no key: refused, not served from the cache.
        var refused = await Assert.ThrowsAsync<TtrpcException>(() => PullAsync(Settings(withKey: false)));
        Assert.Equal(TtrpcStatusCode.PermissionDenied, refused.StatusCode);
        Assert.Contains("no usable key", refused.Message, StringComparison.Ordinal);

        var again = await PullAsync(Settings(withKey: true));
        Assert.Equal(first.LayerDirectories, again.LayerDirectories);
    }

    [Fact]
    public void ABadKeyStopsTheServiceNamingTheSetting()
    {
        var settings = Settings(withKey: false) with { DecryptionKeys = [WriteFile("not-a-key.pem", "hello")] };
        var error = Assert.Throws<AgentConfigurationException>(() => new GuestImageService(settings, null!, NullLoggerFactory.Instance));
        Assert.Contains("decryption_keys", error.Message, StringComparison.Ordinal);
    }
}
