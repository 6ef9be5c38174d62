using GuestPull.Oci.Registry.Configuration;

namespace GuestPull.Oci.Tests.Registry.Configuration;

public sealed class RegistriesConfigurationResolveTests
{
    private static RegistriesConfiguration Parse(string toml) => RegistriesConfiguration.Parse(toml, "/etc/containers/registries.conf");

    [Fact]
    public void WithoutAMatchingRuleTheRegistryItselfIsUsed()
    {
        var resolution = RegistriesConfiguration.Empty.Resolve("localhost:5000", "team/app", byDigest: false);

        Assert.Equal(new RegistryEndpoint("localhost:5000", "team/app", false, false, HttpFallback: true), Assert.Single(resolution.Endpoints));
        Assert.Null(resolution.MatchedPrefix);
        Assert.Null(resolution.SourceName);
    }

    [Fact]
    public void DockerHubIsReachedThroughItsApiHost()
    {
        var resolution = RegistriesConfiguration.Empty.Resolve("docker.io", "library/busybox", byDigest: true);

        Assert.Equal(new RegistryEndpoint("registry-1.docker.io", "library/busybox", false, false), resolution.Primary);
    }

    [Fact]
    public void LocationRewritesTheRepository()
    {
        var config = Parse("""
            [[registry]]
            prefix = "example.com/foo"
            location = "internal:5000/bar"
            """);

        var resolution = config.Resolve("example.com", "foo/app", byDigest: false);

        Assert.Equal(new RegistryEndpoint("internal:5000", "bar/app", false, false), Assert.Single(resolution.Endpoints));
        Assert.Equal("example.com/foo", resolution.MatchedPrefix);
        Assert.Equal("/etc/containers/registries.conf", resolution.SourceName);
        Assert.Equal("bar", config.Resolve("example.com", "foo", false).Primary.Repository);
        Assert.Equal("example.com", config.Resolve("example.com", "foobar/app", false).Primary.Host);
    }

    [Fact]
    public void LocationWithoutAPathMovesTheWholeReference()
    {
        var config = Parse("""
            [[registry]]
            prefix = "example.com"
            location = "internal:5000"
            """);

        Assert.Equal(new RegistryEndpoint("internal:5000", "a/b", false, false), config.Resolve("example.com", "a/b", false).Primary);
        Assert.Equal("example.com:5000", config.Resolve("example.com:5000", "a/b", false).Primary.Host);
    }

    [Fact]
    public void LocationThatLeavesNoRepositoryIsAnError()
    {
        var config = Parse("""
            [[registry]]
            prefix = "example.com/app"
            location = "internal:5000"
            """);

        var ex = Assert.Throws<InvalidDataException>(() => config.Resolve("example.com", "app", false));

        Assert.Contains("[[registry]] #1 (prefix 'example.com/app'): location 'internal:5000' leaves no repository for 'example.com/app'", ex.Message);
    }

    [Fact]
    public void LongestMatchingPrefixWins()
    {
        var config = Parse("""
            [[registry]]
            location = "example.com"
            insecure = true
            [[registry]]
            prefix = "example.com/team/app"
            location = "app.internal"
            [[registry]]
            prefix = "example.com/team"
            location = "team.internal"
            """);

        Assert.Equal("team.internal", config.Resolve("example.com", "team/other", false).Primary.Host);
        Assert.Equal(new RegistryEndpoint("app.internal", "x", false, false), config.Resolve("example.com", "team/app/x", false).Primary);
        Assert.Equal(new RegistryEndpoint("example.com", "teamx", true, false), config.Resolve("example.com", "teamx", false).Primary);
    }

    [Theory]
    [InlineData("a.example.com", "x", true)]
    [InlineData("a.b.example.com:5000", "ns/x", true)]
    [InlineData("A.EXAMPLE.COM", "x", true)]
    [InlineData("example.com", "x", false)]
    [InlineData("evilexample.com", "x", false)]
    [InlineData("example.com.evil", "x", false)]
    [InlineData("evil.io", "a.example.com/x", false)]
    public void WildcardPrefixMatchesSubdomainsOnly(string host, string repository, bool matches)
    {
        var config = Parse("""
            [[registry]]
            prefix = "*.example.com"
            blocked = true
            """);

        if (matches)
        {
            Assert.Throws<RegistryBlockedException>(() => config.Resolve(host, repository, false));
        }
        else
        {
            Assert.Equal(host, config.Resolve(host, repository, false).Primary.Host);
        }
    }

    [Fact]
    public void WildcardWithoutLocationKeepsTheHostAndRewritesMirrors()
    {
        var config = Parse("""
            [[registry]]
            prefix = "*.example.com"
            insecure = true
            [[registry.mirror]]
            location = "mirror.local/cache"
            """);

        var resolution = config.Resolve("a.example.com", "ns/app", false);

        Assert.Equal(
            [new RegistryEndpoint("mirror.local", "cache/ns/app", false, true), new RegistryEndpoint("a.example.com", "ns/app", true, false)],
            resolution.Endpoints);
    }

    [Fact]
    public void WildcardWithLocationReplacesTheHost()
    {
        var config = Parse("""
            [[registry]]
            prefix = "*.example.com"
            location = "proxy.local:8080"
            """);

        Assert.Equal(new RegistryEndpoint("proxy.local:8080", "ns/app", false, false), config.Resolve("a.example.com:5000", "ns/app", false).Primary);
    }

    [Fact]
    public void MirrorsComeFirstInOrderFilteredByPullKind()
    {
        var config = Parse("""
            [[registry]]
            prefix = "docker.io"
            [[registry.mirror]]
            location = "all.mirror"
            [[registry.mirror]]
            location = "digest.mirror:5000"
            insecure = true
            pull-from-mirror = "digest-only"
            [[registry.mirror]]
            location = "tag.mirror"
            pull-from-mirror = "tag-only"
            """);

        var byDigest = config.Resolve("docker.io", "library/busybox", byDigest: true).Endpoints;
        var byTag = config.Resolve("docker.io", "library/busybox", byDigest: false).Endpoints;

        Assert.Equal(
            [
                new RegistryEndpoint("all.mirror", "library/busybox", false, true),
                new RegistryEndpoint("digest.mirror:5000", "library/busybox", true, true),
                new RegistryEndpoint("registry-1.docker.io", "library/busybox", false, false),
            ],
            byDigest);
        Assert.Equal(["all.mirror", "tag.mirror", "registry-1.docker.io"], byTag.Select(e => e.Host));
    }

    [Fact]
    public void MirrorByDigestOnlyAppliesToEveryMirror()
    {
        var config = Parse("""
            [[registry]]
            location = "quay.io"
            mirror-by-digest-only = true
            [[registry.mirror]]
            location = "m1"
            [[registry.mirror]]
            location = "m2"
            """);

        Assert.Equal(3, config.Resolve("quay.io", "a/b", byDigest: true).Endpoints.Count);
        Assert.Single(config.Resolve("quay.io", "a/b", byDigest: false).Endpoints);
    }

    [Fact]
    public void BlockedRegistryThrowsNamingTheRegistryAndTheFile()
    {
        var config = Parse("""
            [[registry]]
            prefix = "docker.io/evil"
            location = "docker.io/evil"
            blocked = true
            [[registry.mirror]]
            location = "m.io"
            """);

        var ex = Assert.Throws<RegistryBlockedException>(() => config.Resolve("docker.io", "evil/app", true));

        Assert.Equal("docker.io/evil/app", ex.Reference);
        Assert.Equal("docker.io/evil", ex.Prefix);
        Assert.Equal("/etc/containers/registries.conf", ex.SourceName);
        Assert.Contains("docker.io/evil/app", ex.Message);
        Assert.Contains("/etc/containers/registries.conf", ex.Message);
        Assert.Equal("registry-1.docker.io", config.Resolve("docker.io", "library/ok", true).Primary.Host);
    }

    [Fact]
    public void WithInsecureRegistriesMarksMatchingEndpointsInACopy()
    {
        var config = Parse("""
            [[registry]]
            prefix = "example.com"
            [[registry.mirror]]
            location = "mirror:5000"
            """);

        var insecure = config.WithInsecureRegistries(["MIRROR:5000", "localhost:5000", "docker.io"]);

        Assert.Equal([true, false], insecure.Resolve("example.com", "a", false).Endpoints.Select(e => e.Insecure));
        Assert.True(insecure.Resolve("localhost:5000", "a", false).Primary.Insecure);
        Assert.False(insecure.Resolve("localhost:5001", "a", false).Primary.Insecure);
        Assert.False(insecure.Resolve("localhost", "a", false).Primary.Insecure);
        Assert.True(insecure.Resolve("docker.io", "library/a", false).Primary.Insecure);
        Assert.True(insecure.WithInsecureRegistries(["other"]).Resolve("localhost:5000", "a", false).Primary.Insecure);
        Assert.All(config.Resolve("example.com", "a", false).Endpoints, e => Assert.False(e.Insecure));
    }

    [Theory]
    [InlineData("localhost:5000", true)]
    [InlineData("LOCALHOST:80", true)]
    [InlineData("127.0.0.1:5000", true)]
    [InlineData("127.8.9.10:5000", true)]
    [InlineData("[::1]:5000", true)]
    [InlineData("localhost", false)]
    [InlineData("localhost:443", false)]
    [InlineData("127.0.0.1", false)]
    [InlineData("[::1]", false)]
    [InlineData("10.0.2.2:5000", false)]
    [InlineData("registry.local:5000", false)]
    [InlineData("localhost.example.com:5000", false)]
    [InlineData("[::2]:5000", false)]
    public void OnlyALoopbackRegistryOffPort443_MayFallBackToPlainHttp(string host, bool fallback)
    {
        var endpoint = RegistriesConfiguration.Empty.Resolve(host, "app", byDigest: false).Primary;

        Assert.Equal(fallback, endpoint.HttpFallback);
        Assert.False(endpoint.Insecure);
    }

    [Fact]
    public void AnExplicitInsecureSetting_DecidesTheSchemeWithoutFallback()
    {
        var config = Parse("""
            [[registry]]
            location = "localhost:5000"
            insecure = false
            [[registry]]
            location = "localhost:5001"
            insecure = true
            [[registry]]
            location = "localhost:5002"
            [[registry]]
            prefix = "example.com"
            location = "127.0.0.1:5003/team"
            [[registry.mirror]]
            location = "127.0.0.1:5004"
            insecure = false
            """);

        Assert.Equal((false, false), Scheme(config.Resolve("localhost:5000", "a", false).Primary));
        Assert.Equal((true, false), Scheme(config.Resolve("localhost:5001", "a", false).Primary));
        Assert.Equal((false, true), Scheme(config.Resolve("localhost:5002", "a", false).Primary));
        Assert.Equal([(false, false), (false, true)], config.Resolve("example.com", "a", false).Endpoints.Select(Scheme));
        Assert.Equal((true, false), Scheme(config.WithInsecureRegistries(["localhost:5002"]).Resolve("localhost:5002", "a", false).Primary));

        static (bool Insecure, bool HttpFallback) Scheme(RegistryEndpoint endpoint) => (endpoint.Insecure, endpoint.HttpFallback);
    }

    [Theory]
    [InlineData("http://localhost:5000")]
    [InlineData("localhost:5000/ns")]
    [InlineData("")]
    [InlineData("local host")]
    public void WithInsecureRegistriesRejectsAnythingButHostPort(string value)
    {
        var ex = Assert.Throws<ArgumentException>(() => RegistriesConfiguration.Empty.WithInsecureRegistries([value]));

        Assert.Contains("must be host[:port]", ex.Message);
    }

    [Fact]
    public void ResolveRejectsEmptyArguments()
    {
        Assert.Throws<ArgumentException>(() => RegistriesConfiguration.Empty.Resolve("", "a", false));
        Assert.Throws<ArgumentException>(() => RegistriesConfiguration.Empty.Resolve("a.io", "", false));
    }
}
