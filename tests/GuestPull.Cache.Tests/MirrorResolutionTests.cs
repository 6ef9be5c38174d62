using GuestPull.Cache.Hosting;
using GuestPull.Oci.Registry.Configuration;

namespace GuestPull.Cache.Tests;

/// <summary>How a digest-only mirror (the cache) is used: tags at the registry, blobs at the mirror first.</summary>
public sealed class MirrorResolutionTests
{
    private static readonly RegistriesConfiguration Configuration = RegistriesConfiguration.Parse(
        """
        [[registry]]
        prefix = "registry.example.com"
        location = "registry.example.com"

        [[registry.mirror]]
        location = "127.0.0.1:5050/registry.example.com"
        insecure = true
        pull-from-mirror = "digest-only"

        [[registry.mirror]]
        location = "tags.example.net"
        pull-from-mirror = "tag-only"
        """,
        "registries.conf");

    [Fact]
    public void ATagIsResolvedWithoutTheDigestOnlyMirror()
    {
        var hosts = Configuration.Resolve("registry.example.com", "library/busybox", byDigest: false).Endpoints.Select(e => e.Host);
        Assert.Equal(["tags.example.net", "registry.example.com"], hosts);
    }

    [Fact]
    public void BlobsOfATagPullComeFromEveryMirrorFirst()
    {
        var endpoints = Configuration.ResolveBlobs("registry.example.com", "library/busybox", byDigest: false).Endpoints;
        Assert.Equal(["127.0.0.1:5050", "tags.example.net", "registry.example.com"], endpoints.Select(e => e.Host));
        Assert.Equal("registry.example.com/library/busybox", endpoints[0].Repository);
        Assert.True(endpoints[0].IsMirror);
        Assert.False(endpoints[^1].IsMirror);
    }

    [Fact]
    public void BlobsOfADigestPullSkipTagOnlyMirrors()
    {
        var hosts = Configuration.ResolveBlobs("registry.example.com", "library/busybox", byDigest: true).Endpoints.Select(e => e.Host);
        Assert.Equal(["127.0.0.1:5050", "registry.example.com"], hosts);
    }

    [Theory]
    [InlineData("127.0.0.1:5050", "127.0.0.1", 5050)]
    [InlineData("0.0.0.0:0", "0.0.0.0", 0)]
    [InlineData("[::1]:8080", "::1", 8080)]
    [InlineData("localhost:5050", "127.0.0.1", 5050)]
    public void TheListenAddressIsAnIpAndPort(string text, string address, int port)
    {
        var endpoint = ListenAddress.Parse(text);
        Assert.Equal(address, endpoint.Address.ToString());
        Assert.Equal(port, endpoint.Port);
    }

    [Theory]
    [InlineData("cache.example.com:5050", "not an IP address")]
    [InlineData("127.0.0.1", "not HOST:PORT")]
    [InlineData("127.0.0.1:99999", "not HOST:PORT")]
    public void ABadListenAddressNamesTheProblem(string text, string message) =>
        Assert.Contains(message, Assert.Throws<ArgumentException>(() => ListenAddress.Parse(text)).Message, StringComparison.Ordinal);
}
