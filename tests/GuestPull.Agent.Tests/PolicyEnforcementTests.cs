using GuestPull.Agent.Configuration;
using GuestPull.Agent.Storage;
using GuestPull.Images.Store;
using GuestPull.Testing;
using GuestPull.Testing.Traits;
using GuestPull.Ttrpc;
using Microsoft.Extensions.Logging.Abstractions;

namespace GuestPull.Agent.Tests;

/// <summary>
/// The agent's image service enforces the configured signature policy on every pull — including
/// the cached path, where image-rs used to skip it — against the image's own name.
/// </summary>
[Trait(Requires.Trait, Requires.Components)]
public sealed class PolicyEnforcementTests : IAsyncLifetime
{
    private const string Repository = "policy/app";
    private readonly TempDirectory _directory = TempDirectory.Create("agent-policy");
    private readonly CosignKey _key = new();
    private RegistryInstance _registry = null!;
    private string _digest = string.Empty;

    private string Image => $"{_registry.Host}/{Repository}:1";

    public async Task InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        _registry = await RegistryInstance.StartAsync(timeout.Token);
        var layout = _directory.Combine("layout");
        await ImageBuilder.BuildBusyboxAsync(layout, "app", new ImageConfigOptions { Cmd = ["echo", "policy"] }, timeout.Token);
        _digest = await ImageBuilder.PushAsync(layout, "app", _registry, Repository + ":1", new PushOptions { PreserveDigests = true }, timeout.Token);
    }

    public async Task DisposeAsync()
    {
        await _registry.DisposeAsync();
        _key.Dispose();
        _directory.Dispose();
    }

    private AgentSettings Settings(string? policyJson) => new()
    {
        ImageRoot = _directory.Combine("image"),
        RegistriesConf = WriteFile("registries.conf", "unqualified-search-registries = []\n"),
        AuthFile = WriteFile("auth.json", "{\"auths\":{}}"),
        InsecureRegistries = [_registry.Host],
        Policy = policyJson is null ? null : WriteFile(Guid.NewGuid().ToString("N") + ".json", policyJson),
        RegistriesD = _directory.CreateSubdirectory("registries.d"),
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

    private string SigstorePolicy()
    {
        var key = WriteFile("cosign.pub", _key.PublicKeyPem);
        return $"{{\"default\": [{{\"type\": \"sigstoreSigned\", \"keyPath\": {System.Text.Json.JsonSerializer.Serialize(key)}}}]}}";
    }

    [Fact]
    public async Task ACachedImageIsJudgedAgainEveryPull()
    {
        var first = await PullAsync(Settings(policyJson: null));
        Assert.False(first.FromCache);

        // Same store, now with a policy the image fails: the cache must not let it through.
        var rejectPolicy = $"{{\"default\": [{{\"type\": \"insecureAcceptAnything\"}}], \"transports\": {{\"docker\": {{\"{_registry.Host}/policy\": [{{\"type\": \"reject\"}}]}}}}}}";
        var rejected = await Assert.ThrowsAsync<TtrpcException>(() => PullAsync(Settings(rejectPolicy)));
        Assert.Equal(TtrpcStatusCode.PermissionDenied, rejected.StatusCode);
        Assert.Contains($"requirement reject (scope transports.docker[\"{_registry.Host}/policy\"]) failed", rejected.Message, StringComparison.Ordinal);

        var unsigned = await Assert.ThrowsAsync<TtrpcException>(() => PullAsync(Settings(SigstorePolicy())));
        Assert.Contains("requirement sigstoreSigned (scope default) failed: no signature", unsigned.Message, StringComparison.Ordinal);

        // Signed now: the cached image is accepted and still served from the cache.
        var payload = CosignKey.Payload(Image, _digest);
        CosignAttachment.Attach(_registry, Repository, _digest, (payload, _key.Sign(payload)));
        var accepted = await PullAsync(Settings(SigstorePolicy()));
        Assert.True(accepted.FromCache);
    }

    [Fact]
    public void AMalformedPolicyStopsTheServiceFromStarting()
    {
        var settings = Settings("{\"default\": []}");
        var ex = Assert.Throws<AgentConfigurationException>(() => new GuestImageService(settings, null!, NullLoggerFactory.Instance));
        Assert.Contains("'policy' / 'registries_d':", ex.Message, StringComparison.Ordinal);
        Assert.Contains("default: an empty requirement list is not allowed", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AMissingRegistriesDStopsTheServiceFromStarting()
    {
        var settings = Settings("{\"default\": [{\"type\": \"reject\"}]}") with { RegistriesD = "/nonexistent/registries.d" };
        var ex = Assert.Throws<AgentConfigurationException>(() => new GuestImageService(settings, null!, NullLoggerFactory.Instance));
        Assert.Equal("'registries_d': /nonexistent/registries.d is not a directory", ex.Message);
    }

    [Fact]
    public void RegistriesDIsRead()
    {
        var settings = AgentConfigParser.Parse("policy = \"/etc/agent/policy.json\"\nregistries_d = \"/etc/agent/registries.d/\"\n", "agent.toml");
        Assert.Equal("/etc/agent/policy.json", settings.Policy);
        Assert.Equal("/etc/agent/registries.d", settings.RegistriesD);
        Assert.Empty(settings.Warnings);
    }
}
