using GuestPull.Oci.Registry.Configuration;

namespace GuestPull.Oci.Tests.Registry.Configuration;

public sealed class RegistriesConfigurationParseTests
{
    private static RegistriesConfiguration Parse(string toml) => RegistriesConfiguration.Parse(toml, "registries.conf");

    private static string ParseError(string toml) => Assert.Throws<InvalidDataException>(() => Parse(toml)).Message;

    [Fact]
    public void TopLevelSettingsAreRead()
    {
        var config = Parse("""
            unqualified-search-registries = ["registry.fedoraproject.org", "docker.io", "localhost:5000"]
            short-name-mode = "enforcing"
            """);

        Assert.Equal(["registry.fedoraproject.org", "docker.io", "localhost:5000"], config.UnqualifiedSearchRegistries);
        Assert.Equal("enforcing", config.ShortNameMode);
        Assert.Empty(config.Warnings);
        Assert.Equal(["registries.conf"], config.SourceNames);
    }

    [Fact]
    public void EmptyFileMeansNoRules()
    {
        var config = Parse("# nothing here\n");

        Assert.Empty(config.UnqualifiedSearchRegistries);
        Assert.Null(config.ShortNameMode);
        Assert.Equal(new RegistryEndpoint("quay.io", "a/b", false, false), Assert.Single(config.Resolve("quay.io", "a/b", false).Endpoints));
    }

    [Fact]
    public void UnknownAndUnsupportedKeysBecomeWarnings()
    {
        var config = Parse("""
            credential-helpers = ["containers-auth.json"]
            colour = "blue"
            [aliases]
            "fedora" = "registry.fedoraproject.org/fedora"
            [[registry]]
            location = "example.com"
            flavour = 1
            [[registry.mirror]]
            location = "mirror.example.com"
            speed = "fast"
            """);

        Assert.Equal(5, config.Warnings.Count);
        Assert.Contains("registries.conf: 'credential-helpers' is not supported; ignored.", config.Warnings);
        Assert.Contains("registries.conf: unknown key 'colour' ignored.", config.Warnings);
        Assert.Contains("registries.conf: 'aliases' is not supported; ignored.", config.Warnings);
        Assert.Contains("registries.conf: [[registry]] #1: unknown key 'flavour' ignored.", config.Warnings);
        Assert.Contains("registries.conf: [[registry]] #1: [[registry.mirror]] #1: unknown key 'speed' ignored.", config.Warnings);
    }

    [Fact]
    public void InlineArrayOfTablesIsAccepted()
    {
        var config = Parse("""registry = [{ prefix = "a.io", location = "b.io" }]""");

        Assert.Equal("b.io", config.Resolve("a.io", "x", false).Primary.Host);
    }

    [Fact]
    public void V1FormatIsRejected()
    {
        var message = ParseError("""
            [registries.search]
            registries = ["docker.io"]
            """);

        Assert.Contains("registries.conf: v1 format not supported", message);
    }

    [Theory]
    [InlineData("[[registry]]\nprefix = \"a.io\"\n[[registry]]\nlocation = \"https://b.io\"", "registries.conf: [[registry]] #2: 'location' must not contain a scheme")]
    [InlineData("[[registry]]\nprefix = \"http://a.io\"", "[[registry]] #1: 'prefix' must not contain a scheme")]
    [InlineData("[[registry]]\nprefix = \"a.io/app:latest\"", "'prefix' must not contain a tag")]
    [InlineData("[[registry]]\nprefix = \"a.io/app@sha256:abc\"", "'prefix' must not contain a digest")]
    [InlineData("[[registry]]\nlocation = \"a.io/x y\"", "'location' must not contain whitespace")]
    [InlineData("[[registry]]\nlocation = \"/a.io\"", "'location' must start with a host")]
    [InlineData("[[registry]]\nlocation = \"a.io//x\"", "'location' has an empty path component")]
    [InlineData("[[registry]]\nlocation = \"a.io:99999\"", "'location' has an invalid port")]
    [InlineData("[[registry]]\nlocation = \"a.io:http\"", "'location' has an invalid port")]
    [InlineData("[[registry]]\nprefix = \"*.a.io:5000\"", "'prefix' must look like '*.example.com'")]
    [InlineData("[[registry]]\nprefix = \"*.a.io/ns\"", "'prefix' must look like '*.example.com'")]
    [InlineData("[[registry]]\nprefix = \"*.\"", "'prefix' must look like '*.example.com'")]
    [InlineData("[[registry]]\nprefix = \"a.*.io\"", "'prefix' may use '*' only as a leading '*.'")]
    [InlineData("[[registry]]\nprefix = \"*a.io\"", "'prefix' may use '*' only as a leading '*.'")]
    [InlineData("[[registry]]\ninsecure = true", "[[registry]] #1: 'prefix' or 'location' is required")]
    [InlineData("[[registry]]\nprefix = \"\"\nlocation = \"\"", "'prefix' or 'location' is required")]
    [InlineData("[[registry]]\nlocation = \"a.io\"\ninsecure = \"yes\"", "[[registry]] #1: 'insecure' must be a boolean (found a string)")]
    [InlineData("[[registry]]\nlocation = \"a.io\"\nblocked = 1", "'blocked' must be a boolean (found a number)")]
    [InlineData("[[registry]]\nlocation = 5", "'location' must be a string (found a number)")]
    [InlineData("[registry]\nlocation = \"a.io\"", "'registry' must be an array of tables, written [[registry]]")]
    [InlineData("registry = [1, 2]", "'registry' must be an array of tables")]
    [InlineData("[[registry]]\nlocation = \"a.io\"\n[registry.mirror]\nlocation = \"m.io\"", "'registry.mirror' must be an array of tables")]
    [InlineData("[[registry]]\nlocation = \"a.io\"\n[[registry.mirror]]\ninsecure = true", "[[registry]] #1: [[registry.mirror]] #1: 'location' is required")]
    [InlineData("[[registry]]\nlocation = \"a.io\"\n[[registry.mirror]]\nlocation = \"m.io\"\npull-from-mirror = \"sometimes\"", "'pull-from-mirror' must be one of all, digest-only, tag-only (got 'sometimes')")]
    [InlineData("[[registry]]\nlocation = \"a.io\"\nmirror-by-digest-only = true\n[[registry.mirror]]\nlocation = \"m.io\"\npull-from-mirror = \"all\"", "cannot be combined with the registry's 'mirror-by-digest-only'")]
    [InlineData("[[registry]]\nlocation = \"a.io\"\n[[registry.mirror]]\nlocation = \"https://m.io\"", "[[registry.mirror]] #1: 'location' must not contain a scheme")]
    [InlineData("[[registry]]\nprefix = \"a.io\"\n[[registry]]\nlocation = \"b.io\"\n[[registry]]\nprefix = \"a.io/\"", "prefix 'a.io' is defined by more than one [[registry]] (#1, #3)")]
    [InlineData("short-name-mode = \"strict\"", "'short-name-mode' must be one of enforcing, permissive, disabled (got 'strict')")]
    [InlineData("unqualified-search-registries = \"docker.io\"", "'unqualified-search-registries' must be an array of strings")]
    [InlineData("unqualified-search-registries = [\"docker.io\", 3]", "must be an array of strings (found a number)")]
    [InlineData("unqualified-search-registries = [\"https://docker.io\"]", "'unqualified-search-registries' must not contain a scheme")]
    [InlineData("unqualified-search-registries = [\"docker.io/library\"]", "entries must be host[:port] without a path")]
    [InlineData("unqualified-search-registries = [\"\"]", "'unqualified-search-registries' must start with a host")]
    [InlineData("a = [\nb = 1", "registries.conf: invalid TOML")]
    [InlineData("[[registry]\nlocation = \"a.io\"", "registries.conf: invalid TOML")]
    public void InvalidSettingsNameTheFileTableAndKey(string toml, string expected)
    {
        Assert.Contains(expected, ParseError(toml));
    }

    [Theory]
    [InlineData("short-name-mode = \"enforcing\"\nshort-name-mode = \"disabled\"", "line 2: 'short-name-mode'")]
    [InlineData("[[registry]]\nlocation = \"a.io\"\nblocked = true\nblocked = false", "line 4: 'blocked'")]
    [InlineData("[[registry]]\nlocation = \"a.io\"\n[[registry.mirror]]\nlocation = \"m\"\nlocation = \"n\"", "line 5: 'location'")]
    [InlineData("[x]\na = 1\n[x]\nb = 1", "line 3: 'x'")]
    [InlineData("registry = 1\n[[registry]]\nlocation = \"a.io\"", "line 2: 'registry'")]
    [InlineData("[[registry]]\nlocation = \"a.io\"\n[registry]\nprefix = \"b.io\"", "line 3: 'registry'")]
    [InlineData("x.y = 1\nx.y = 2", "line 2: 'x.y'")]
    public void RedefinedKeysAndTablesAreRejected(string toml, string expected)
    {
        var message = ParseError(toml);

        Assert.StartsWith("registries.conf: ", message);
        Assert.Contains(expected + " is defined more than once", message);
    }

    [Fact]
    public void SameKeysInSeparateTablesAreNotRedefinitions()
    {
        var config = Parse("""
            "x.y" = 1
            x.y = 2
            [[registry]]
            location = "a.io"
            [[registry.mirror]]
            location = "m1"
            [[registry]]
            location = "b.io"
            [[registry.mirror]]
            location = "m1"
            """);

        Assert.Equal(2, config.Resolve("b.io", "x", false).Endpoints.Count);
    }

    [Fact]
    public void TrailingSlashesAreDropped()
    {
        var config = Parse("""
            [[registry]]
            prefix = "a.io/ns/"
            location = "b.io/other/"
            """);

        Assert.Equal(new RegistryEndpoint("b.io", "other/app", false, false), config.Resolve("a.io", "ns/app", false).Primary);
    }
}
