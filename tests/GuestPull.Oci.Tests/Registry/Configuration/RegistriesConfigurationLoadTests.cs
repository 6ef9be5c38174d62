using GuestPull.Oci.Registry.Configuration;
using GuestPull.Oci.Tests.Registry.Auth;

namespace GuestPull.Oci.Tests.Registry.Configuration;

public sealed class RegistriesConfigurationLoadTests
{
    [Fact]
    public void ExplicitPathMustExist()
    {
        using var dir = new TempDirectory();
        var missing = Path.Combine(dir.Path, "registries.conf");

        var ex = Assert.Throws<FileNotFoundException>(() => RegistriesConfiguration.Load(missing));

        Assert.Contains(missing, ex.Message);
    }

    [Fact]
    public void ExplicitPathIsReadAloneWithoutDropIns()
    {
        using var dir = new TempDirectory();
        var path = dir.Write("registries.conf", "unqualified-search-registries = [\"a.io\"]");
        dir.Write("d/10.conf", "unqualified-search-registries = [\"b.io\"]");

        var config = RegistriesConfiguration.Load(path, Path.Combine(dir.Path, "unused.conf"), Path.Combine(dir.Path, "d"));

        Assert.Equal(["a.io"], config.UnqualifiedSearchRegistries);
        Assert.Equal([path], config.SourceNames);
    }

    [Fact]
    public void NoFilesMeansEmpty()
    {
        using var dir = new TempDirectory();

        Assert.Same(
            RegistriesConfiguration.Empty,
            RegistriesConfiguration.Load(null, Path.Combine(dir.Path, "registries.conf"), Path.Combine(dir.Path, "missing.d")));
    }

    [Fact]
    public void DropInsApplyInLexicalOrderReplacingSamePrefixRules()
    {
        using var dir = new TempDirectory();
        var main = dir.Write("registries.conf", """
            unqualified-search-registries = ["main.io"]
            short-name-mode = "permissive"
            [[registry]]
            prefix = "a.io"
            location = "from-main.a"
            [[registry]]
            prefix = "b.io"
            location = "from-main.b"
            """);
        var second = dir.Write("d/20-second.conf", """
            [[registry]]
            prefix = "a.io"
            location = "from-second.a"
            [[registry]]
            prefix = "c.io"
            blocked = true
            """);
        var first = dir.Write("d/10-first.conf", """
            unqualified-search-registries = ["first.io"]
            unknown = 1
            [[registry]]
            prefix = "a.io"
            location = "from-first.a"
            """);
        dir.Write("d/30-ignored.conf.bak", "this is not TOML [");

        var config = RegistriesConfiguration.Load(null, main, Path.Combine(dir.Path, "d"));

        Assert.Equal([main, first, second], config.SourceNames);
        Assert.Equal(["first.io"], config.UnqualifiedSearchRegistries);
        Assert.Equal("permissive", config.ShortNameMode);
        Assert.Equal("from-second.a", config.Resolve("a.io", "x", false).Primary.Host);
        Assert.Equal(second, config.Resolve("a.io", "x", false).SourceName);
        Assert.Equal("from-main.b", config.Resolve("b.io", "x", false).Primary.Host);
        Assert.Equal(second, Assert.Throws<RegistryBlockedException>(() => config.Resolve("c.io", "x", false)).SourceName);
        Assert.Equal([$"{first}: unknown: unknown key, ignored"], config.Warnings);
    }

    [Fact]
    public void DropInsApplyWithoutAMainFile()
    {
        using var dir = new TempDirectory();
        dir.Write("d/x.conf", "unqualified-search-registries = [\"only.io\"]");

        var config = RegistriesConfiguration.Load(null, Path.Combine(dir.Path, "missing.conf"), Path.Combine(dir.Path, "d"));

        Assert.Equal(["only.io"], config.UnqualifiedSearchRegistries);
    }

    [Fact]
    public void ErrorsInADropInNameThatFile()
    {
        using var dir = new TempDirectory();
        var bad = dir.Write("d/50-bad.conf", "[[registry]]\nlocation = \"https://x.io\"");

        var ex = Assert.Throws<InvalidDataException>(
            () => RegistriesConfiguration.Load(null, Path.Combine(dir.Path, "missing.conf"), Path.Combine(dir.Path, "d")));

        Assert.StartsWith($"{bad}: [[registry]] #1 location: expected a host[:port][/path] without a scheme", ex.Message);
    }
}
