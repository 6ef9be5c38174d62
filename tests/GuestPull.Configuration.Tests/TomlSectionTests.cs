using GuestPull.Configuration;

namespace GuestPull.Configuration.Tests;

public sealed class TomlSectionTests
{
    private static TomlSection Parse(string toml) => TomlConfigReader.Parse(toml, "test.toml");

    private static string Error(Func<object> read) => Assert.Throws<ConfigFileException>(read).Message;

    [Fact]
    public void EveryGetterReadsItsType()
    {
        var root = Parse("""
            name = "guestpull"
            path = "/srv/data/"
            flag = true
            count = 5
            timeout = 30
            mode = "proxy"
            hosts = ["a.io", "b.io:5000"]
            [agent]
            concurrency = 4
            [[registry]]
            location = "a.io"
            [[registry]]
            location = "b.io"
            """);

        Assert.Equal("guestpull", root.GetString("name"));
        Assert.Equal("guestpull", root.GetNonEmptyString("name"));
        Assert.Equal("/srv/data", root.GetAbsolutePath("path"));
        Assert.True(root.GetBoolean("flag"));
        Assert.Equal(5, root.GetInteger("count", 1, 64));
        Assert.Equal(TimeSpan.FromSeconds(30), root.GetSeconds("timeout", 1, 86_400));
        Assert.Equal("proxy", root.GetChoice("mode", "proxy", "overlayfs"));
        Assert.Equal(["a.io", "b.io:5000"], root.GetStringArray("hosts"));
        Assert.Equal(4, root.GetTable("agent").GetInteger("concurrency", 1, 64));
        Assert.Equal(["a.io", "b.io"], root.GetTables("registry").Select(r => r.GetString("location")));
    }

    [Fact]
    public void KeysComeInTheFilesOrder()
    {
        Assert.Equal(["zeta", "alpha", "mid"], Parse("zeta = 1\nalpha = 2\nmid = 3\n").Keys);
    }

    [Fact]
    public void InlineArraysOfTablesAreTables()
    {
        var tables = Parse("registry = [{ location = \"a.io\" }, { location = \"b.io\" }]").GetTables("registry");

        Assert.Equal("[[registry]] #2", tables[1].Label);
        Assert.Equal("b.io", tables[1].GetString("location"));
    }

    [Theory]
    [InlineData("key = 3", "string", "test.toml: key: expected a string, got 3")]
    [InlineData("key = \"\"", "non-empty", "test.toml: key: expected a non-empty string, got \"\"")]
    [InlineData("key = \"relative/dir\"", "path", "test.toml: key: expected an absolute path, got \"relative/dir\"")]
    [InlineData("key = 3", "path", "test.toml: key: expected an absolute path, got 3")]
    [InlineData("key = \"yes\"", "bool", "test.toml: key: expected true or false, got \"yes\"")]
    [InlineData("key = \"x\"", "int", "test.toml: key: expected an integer between 1 and 64, got \"x\"")]
    [InlineData("key = 65", "int", "test.toml: key: expected an integer between 1 and 64, got 65")]
    [InlineData("key = 0", "int", "test.toml: key: expected an integer between 1 and 64, got 0")]
    [InlineData("key = 1.5", "int", "test.toml: key: expected an integer between 1 and 64, got 1.5")]
    [InlineData("key = 0", "seconds", "test.toml: key: expected a whole number of seconds between 1 and 86400, got 0")]
    [InlineData("key = \"loud\"", "choice", "test.toml: key: expected \"proxy\" or \"overlayfs\", got \"loud\"")]
    [InlineData("key = \"a.io\"", "strings", "test.toml: key: expected an array of strings, got \"a.io\"")]
    [InlineData("key = [\"a.io\", 3]", "strings", "test.toml: key: expected an array of strings, got 3 at index 1")]
    [InlineData("key = 1", "table", "test.toml: key: expected a table, written [key], got 1")]
    [InlineData("[key]\na = 1", "tables", "test.toml: key: expected an array of tables, written [[key]], got a table")]
    [InlineData("key = [1, 2]", "tables", "test.toml: key: expected an array of tables, written [[key]], got an array")]
    [InlineData("key = 1979-05-27", "string", "test.toml: key: expected a string, got a date or time")]
    [InlineData("other = 1", "string", "test.toml: key: is required")]
    public void WrongValuesNameTheFileTheKeyAndWhatWasExpected(string toml, string getter, string message)
    {
        var root = Parse(toml);
        Func<object> read = getter switch
        {
            "string" => () => root.GetString("key"),
            "non-empty" => () => root.GetNonEmptyString("key"),
            "path" => () => root.GetAbsolutePath("key"),
            "bool" => () => root.GetBoolean("key"),
            "int" => () => root.GetInteger("key", 1, 64),
            "seconds" => () => root.GetSeconds("key", 1, 86_400),
            "choice" => () => root.GetChoice("key", "proxy", "overlayfs"),
            "strings" => () => root.GetStringArray("key"),
            "table" => () => root.GetTable("key"),
            _ => () => root.GetTables("key"),
        };

        var error = Assert.Throws<ConfigFileException>(read);

        Assert.Equal(message, error.Message);
        Assert.Equal("test.toml", error.File);
        Assert.Equal("key", error.Key);
    }

    [Fact]
    public void AnExactIntegerIsNamedAsSuch()
    {
        Assert.Equal("test.toml: version: expected 1, got 2", Error(() => Parse("version = 2").GetInteger("version", 1, 1)));
    }

    [Fact]
    public void ThreeOrMoreChoicesAreListed()
    {
        Assert.Equal(
            "test.toml: mode: expected one of \"enforcing\", \"permissive\", \"disabled\", got \"strict\"",
            Error(() => Parse("mode = \"strict\"").GetChoice("mode", "enforcing", "permissive", "disabled")));
    }

    [Fact]
    public void KeysInTablesAreNamedWithTheirTable()
    {
        var root = Parse("""
            [agent]
            max_concurrent_downloads = "x"
            [agent.limits]
            size = -1
            [[registry]]
            location = "a.io"
            [[registry]]
            location = "b.io"
            insecure = "yes"
            [[registry.mirror]]
            location = 5
            """);

        Assert.Equal(
            "test.toml: [agent] max_concurrent_downloads: expected an integer between 1 and 64, got \"x\"",
            Error(() => root.GetTable("agent").GetInteger("max_concurrent_downloads", 1, 64)));
        Assert.Equal(
            "test.toml: [agent.limits] size: expected an integer between 0 and 10, got -1",
            Error(() => root.GetTable("agent").GetTable("limits").GetInteger("size", 0, 10)));
        var second = root.GetTables("registry")[1];
        Assert.Equal("test.toml: [[registry]] #2 insecure: expected true or false, got \"yes\"", Error(() => second.GetBoolean("insecure")));
        Assert.Equal(
            "test.toml: [[registry]] #2 [[registry.mirror]] #1 location: expected a string, got 5",
            Error(() => second.GetTables("mirror")[0].GetString("location")));
    }

    [Fact]
    public void KeysThatAreNotBareAreQuoted()
    {
        var root = Parse("\"a.b\" = 1\n\"with space\" = 2");

        Assert.Equal("test.toml: \"a.b\": expected a string, got 1", Error(() => root.GetString("a.b")));
        Assert.Equal("test.toml: \"with space\": expected a string, got 2", Error(() => root.GetString("with space")));
    }

    [Fact]
    public void DomainProblemsUseTheSameShape()
    {
        var registry = Parse("[[registry]]\ninsecure = true").GetTables("registry")[0];

        Assert.Equal("test.toml: [[registry]] #1 location: is required", registry.Problem("location", "is required").Message);
        Assert.Equal("test.toml: [[registry]] #1 insecure: expected false here, got true", registry.Invalid("insecure", "false here").Message);
        Assert.Equal("test.toml: [[registry]] #1: cannot be empty", registry.TableProblem("cannot be empty").Message);
        Assert.Equal("test.toml: cannot be empty", Parse(string.Empty).TableProblem("cannot be empty").Message);
    }

    [Fact]
    public void UnknownKeysAreWarnedAboutWithTheirTable()
    {
        var root = Parse("colour = 1\n[agent]\nflavour = 2");

        Assert.Equal("test.toml: colour: unknown key, ignored", root.UnknownKeyWarning("colour"));
        Assert.Equal("test.toml: [agent] flavour: unknown key, ignored", root.GetTable("agent").UnknownKeyWarning("flavour"));
    }

    [Fact]
    public void GetValueHandsBackTomlynsModel()
    {
        var root = Parse("n = 3\nlist = [\"a\"]");

        Assert.Equal(3L, root.GetValue("n"));
        Assert.IsType<Tomlyn.Model.TomlArray>(root.GetValue("list"));
        Assert.True(root.ContainsKey("n"));
        Assert.False(root.ContainsKey("m"));
    }

    [Fact]
    public void ASubTableWrittenBackAsText_ReadsTheSame()
    {
        var embedded = Parse("""
            [outer.inner]
            names = ["a", "b:5000"]
            flag = true
            [[outer.inner.rule]]
            prefix = "x.io/ns"
            [[outer.inner.rule.mirror]]
            location = "m.io"
            """).GetTable("outer").GetTable("inner");

        var reread = Parse(embedded.ToText());

        Assert.Equal(["a", "b:5000"], reread.GetStringArray("names"));
        Assert.True(reread.GetBoolean("flag"));
        var rule = Assert.Single(reread.GetTables("rule"));
        Assert.Equal("x.io/ns", rule.GetString("prefix"));
        Assert.Equal("m.io", Assert.Single(rule.GetTables("mirror")).GetString("location"));
    }
}
