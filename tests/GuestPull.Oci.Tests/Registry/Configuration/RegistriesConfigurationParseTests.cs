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
        Assert.Contains("registries.conf: credential-helpers: not supported, ignored", config.Warnings);
        Assert.Contains("registries.conf: colour: unknown key, ignored", config.Warnings);
        Assert.Contains("registries.conf: aliases: not supported, ignored", config.Warnings);
        Assert.Contains("registries.conf: [[registry]] #1 flavour: unknown key, ignored", config.Warnings);
        Assert.Contains("registries.conf: [[registry]] #1 [[registry.mirror]] #1 speed: unknown key, ignored", config.Warnings);
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

        Assert.Contains("registries.conf: registries: is the v1 format", message);
        Assert.Contains("not supported", message);
    }

    [Theory]
    [InlineData("[[registry]]\nprefix = \"a.io\"\n[[registry]]\nlocation = \"https://b.io\"", "registries.conf: [[registry]] #2 location: expected a host[:port][/path] without a scheme, got \"https://b.io\"")]
    [InlineData("[[registry]]\nprefix = \"http://a.io\"", "registries.conf: [[registry]] #1 prefix: expected a host[:port][/path] without a scheme, got \"http://a.io\"")]
    [InlineData("[[registry]]\nprefix = \"a.io/app:latest\"", "prefix: expected a host[:port][/path] without a tag, got \"a.io/app:latest\"")]
    [InlineData("[[registry]]\nprefix = \"a.io/app@sha256:abc\"", "prefix: expected a host[:port][/path] without a digest")]
    [InlineData("[[registry]]\nlocation = \"a.io/x y\"", "location: expected a host[:port][/path] without whitespace")]
    [InlineData("[[registry]]\nlocation = \"/a.io\"", "location: expected a host[:port][/path] starting with a host, got \"/a.io\"")]
    [InlineData("[[registry]]\nlocation = \"a.io//x\"", "location: expected a host[:port][/path] without an empty path component")]
    [InlineData("[[registry]]\nlocation = \"a.io:99999\"", "location: expected a host[:port][/path] with a port from 1 to 65535, got \"a.io:99999\"")]
    [InlineData("[[registry]]\nlocation = \"a.io:http\"", "location: expected a host[:port][/path] with a port from 1 to 65535")]
    [InlineData("[[registry]]\nprefix = \"*.a.io:5000\"", "prefix: expected a wildcard like \"*.example.com\"")]
    [InlineData("[[registry]]\nprefix = \"*.a.io/ns\"", "prefix: expected a wildcard like \"*.example.com\"")]
    [InlineData("[[registry]]\nprefix = \"*.\"", "prefix: expected a wildcard like \"*.example.com\"")]
    [InlineData("[[registry]]\nprefix = \"a.*.io\"", "prefix: expected a host[:port][/path], or a prefix with '*' only in a leading \"*.\", got \"a.*.io\"")]
    [InlineData("[[registry]]\nprefix = \"*a.io\"", "prefix: expected a host[:port][/path], or a prefix with '*' only in a leading \"*.\"")]
    [InlineData("[[registry]]\ninsecure = true", "registries.conf: [[registry]] #1: needs a prefix or a location")]
    [InlineData("[[registry]]\nprefix = \"\"\nlocation = \"\"", "[[registry]] #1: needs a prefix or a location")]
    [InlineData("[[registry]]\nlocation = \"a.io\"\ninsecure = \"yes\"", "registries.conf: [[registry]] #1 insecure: expected true or false, got \"yes\"")]
    [InlineData("[[registry]]\nlocation = \"a.io\"\nblocked = 1", "blocked: expected true or false, got 1")]
    [InlineData("[[registry]]\nlocation = 5", "location: expected a string, got 5")]
    [InlineData("[registry]\nlocation = \"a.io\"", "registries.conf: registry: expected an array of tables, written [[registry]], got a table")]
    [InlineData("registry = [1, 2]", "registry: expected an array of tables")]
    [InlineData("[[registry]]\nlocation = \"a.io\"\n[registry.mirror]\nlocation = \"m.io\"", "[[registry]] #1 mirror: expected an array of tables, written [[registry.mirror]], got a table")]
    [InlineData("[[registry]]\nlocation = \"a.io\"\n[[registry.mirror]]\ninsecure = true", "registries.conf: [[registry]] #1 [[registry.mirror]] #1 location: is required")]
    [InlineData("[[registry]]\nlocation = \"a.io\"\n[[registry.mirror]]\nlocation = \"m.io\"\npull-from-mirror = \"sometimes\"", "pull-from-mirror: expected one of \"all\", \"digest-only\", \"tag-only\", got \"sometimes\"")]
    [InlineData("[[registry]]\nlocation = \"a.io\"\nmirror-by-digest-only = true\n[[registry.mirror]]\nlocation = \"m.io\"\npull-from-mirror = \"all\"", "pull-from-mirror: cannot be combined with the registry's mirror-by-digest-only")]
    [InlineData("[[registry]]\nlocation = \"a.io\"\n[[registry.mirror]]\nlocation = \"https://m.io\"", "[[registry.mirror]] #1 location: expected a host[:port][/path] without a scheme")]
    [InlineData("[[registry]]\nprefix = \"a.io\"\n[[registry]]\nlocation = \"b.io\"\n[[registry]]\nprefix = \"a.io/\"", "registries.conf: [[registry]] #3 prefix: \"a.io\" is already the prefix of [[registry]] #1")]
    [InlineData("short-name-mode = \"strict\"", "registries.conf: short-name-mode: expected one of \"enforcing\", \"permissive\", \"disabled\", got \"strict\"")]
    [InlineData("unqualified-search-registries = \"docker.io\"", "unqualified-search-registries: expected an array of strings, got \"docker.io\"")]
    [InlineData("unqualified-search-registries = [\"docker.io\", 3]", "unqualified-search-registries: expected an array of strings, got 3 at index 1")]
    [InlineData("unqualified-search-registries = [\"https://docker.io\"]", "unqualified-search-registries: expected a host[:port][/path] without a scheme")]
    [InlineData("unqualified-search-registries = [\"docker.io/library\"]", "unqualified-search-registries: expected host[:port] entries without a path, got \"docker.io/library\"")]
    [InlineData("unqualified-search-registries = [\"\"]", "unqualified-search-registries: expected a host[:port][/path] starting with a host")]
    [InlineData("a = [\nb = 1", "registries.conf: line 2, column ")]
    [InlineData("a = [\nb = 1", ": not valid TOML: ")]
    [InlineData("[[registry]\nlocation = \"a.io\"", "registries.conf: line 1, column ")]
    public void InvalidSettingsNameTheFileTableAndKey(string toml, string expected)
    {
        Assert.Contains(expected, ParseError(toml));
    }

    [Theory]
    [InlineData("short-name-mode = \"enforcing\"\nshort-name-mode = \"disabled\"", "line 2: short-name-mode")]
    [InlineData("[[registry]]\nlocation = \"a.io\"\nblocked = true\nblocked = false", "line 4: blocked")]
    [InlineData("[[registry]]\nlocation = \"a.io\"\n[[registry.mirror]]\nlocation = \"m\"\nlocation = \"n\"", "line 5: location")]
    [InlineData("[x]\na = 1\n[x]\nb = 1", "line 3: x")]
    [InlineData("registry = 1\n[[registry]]\nlocation = \"a.io\"", "line 2: registry")]
    [InlineData("[[registry]]\nlocation = \"a.io\"\n[registry]\nprefix = \"b.io\"", "line 3: registry")]
    [InlineData("x.y = 1\nx.y = 2", "line 2: x.y")]
    public void RedefinedKeysAndTablesAreRejected(string toml, string expected)
    {
        var message = ParseError(toml);

        Assert.StartsWith("registries.conf: ", message);
        Assert.Contains(expected + ": is defined more than once", message);
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
