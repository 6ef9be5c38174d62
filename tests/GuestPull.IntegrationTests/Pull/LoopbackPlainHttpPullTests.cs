using GuestPull.IntegrationTests.Infrastructure;
using GuestPull.Testing;
using GuestPull.Testing.Traits;

namespace GuestPull.IntegrationTests.Pull;

/// <summary>
/// A plain-HTTP docker-registry on 127.0.0.1 is pulled from without <c>--insecure-registry</c>, as
/// containerd's CRI pulls from one: the TLS attempt fails on a server that speaks HTTP, and HTTP is used.
/// </summary>
[Trait(Requires.Trait, Requires.Components)]
public sealed class LoopbackPlainHttpPullTests(BusyboxImageFixture image) : IClassFixture<BusyboxImageFixture>
{
    [Fact]
    public async Task APlainHttpRegistryOnLoopback_IsPulledFromWithoutInsecureRegistry()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await using var registry = await RegistryInstance.StartAsync(new RegistryOptions { Name = "loopback-http" }, timeout.Token);
        Assert.False(registry.Tls);
        Assert.StartsWith("127.0.0.1:", registry.Host, StringComparison.Ordinal);
        await ImageBuilder.PushAsync(image.LayoutDirectory, BusyboxImageFixture.Tag, registry, "loopback/busybox:1", new PushOptions { PreserveDigests = true }, timeout.Token);
        using var work = TempDirectory.Create("loopback-http");

        var inspect = await GuestPullCli.RunAsync("inspect", registry.Host + "/loopback/busybox:1");
        CliAssert.Succeeded(inspect);
        Assert.Contains(image.ManifestDigest, inspect.StandardOutput, StringComparison.Ordinal);

        await registry.SyncAccessLogAsync(timeout.Token);
        registry.ClearRequests();
        var pull = await GuestPullCli.RunAsync("pull", "--root", work.Combine("store"), registry.Host + "/loopback/busybox:1");
        CliAssert.Succeeded(pull);
        await registry.SyncAccessLogAsync(timeout.Token);
        Assert.Contains(registry.Requests, r => r.IsBlobGet);
    }
}
