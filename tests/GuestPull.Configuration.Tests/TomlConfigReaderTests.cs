using GuestPull.Configuration;

namespace GuestPull.Configuration.Tests;

public sealed class TomlConfigReaderTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("guestpull-config-tests").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void MalformedTomlNamesTheFileLineAndColumn()
    {
        var error = Assert.Throws<ConfigFileException>(() => TomlConfigReader.Parse("a = 1\nb = \n", "bad.toml"));

        Assert.Equal("bad.toml: line 2, column 5: not valid TOML: Unexpected token end-of-line found while expecting a value", error.Message);
        Assert.Equal("bad.toml", error.File);
        Assert.Equal(2, error.Line);
        Assert.Equal(5, error.Column);
        Assert.Null(error.Key);
    }

    [Theory]
    [InlineData("[[registry]\nlocation = \"a.io\"", 1, 11)]
    [InlineData("this is not toml", 1, 6)]
    [InlineData("a = [\nb = 1", 2, 1)]
    public void TheFirstSyntaxErrorIsPlaced(string toml, int line, int column)
    {
        var error = Assert.Throws<ConfigFileException>(() => TomlConfigReader.Parse(toml, "bad.toml"));

        Assert.Equal((line, column), (error.Line, error.Column));
        Assert.StartsWith($"bad.toml: line {line}, column {column}: not valid TOML: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AMissingFileIsNamed()
    {
        var path = Path.Combine(_directory, "missing.toml");

        var error = Assert.Throws<ConfigFileException>(() => TomlConfigReader.Read(path));

        Assert.StartsWith($"{path}: cannot be read: ", error.Message, StringComparison.Ordinal);
        Assert.IsType<FileNotFoundException>(error.InnerException);
    }

    [Fact]
    public async Task AMissingFileIsNamed_Async()
    {
        var path = Path.Combine(_directory, "missing.toml");

        var error = await Assert.ThrowsAsync<ConfigFileException>(() => TomlConfigReader.ReadAsync(path, CancellationToken.None));

        Assert.StartsWith($"{path}: cannot be read: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFileIsReadAndNamedByItsPath()
    {
        var path = Path.Combine(_directory, "agent.toml");
        await File.WriteAllTextAsync(path, "pull_concurrency = 99\n");

        var root = await TomlConfigReader.ReadAsync(path, CancellationToken.None);

        Assert.Equal(path, root.File);
        Assert.Equal(
            $"{path}: pull_concurrency: expected an integer between 1 and 64, got 99",
            Assert.Throws<ConfigFileException>(() => root.GetInteger("pull_concurrency", 1, 64)).Message);
        Assert.Equal(99, TomlConfigReader.Read(path).GetInteger("pull_concurrency", 1, 100));
    }

    [Fact]
    public void AnEmptyFileIsAnEmptyTable()
    {
        Assert.Empty(TomlConfigReader.Parse(string.Empty, "empty.toml").Keys);
    }

    [Theory]
    [InlineData("a = 1\na = 2", "redefined.toml: line 2: a: is defined more than once")]
    [InlineData("[x]\na = 1\n[x]\nb = 1", "redefined.toml: line 3: x: is defined more than once")]
    [InlineData("x.y = 1\nx.y = 2", "redefined.toml: line 2: x.y: is defined more than once")]
    [InlineData("[[r]]\nm = 1\nm = 2", "redefined.toml: line 3: m: is defined more than once")]
    [InlineData("\"a.b\" = 1\n\"a.b\" = 2", "redefined.toml: line 2: \"a.b\": is defined more than once")]
    public void RedefinitionsAreRefusedWhenAskedFor(string toml, string message)
    {
        Assert.Equal(message, Assert.Throws<ConfigFileException>(() => TomlConfigReader.Parse(toml, "redefined.toml", rejectRedefinitions: true)).Message);
    }

    [Fact]
    public void SameKeysInSeparateArrayElementsAreNotRedefinitions()
    {
        var root = TomlConfigReader.Parse("[[r]]\nm = 1\n[[r]]\nm = 2\n\"x.y\" = 1", "ok.toml", rejectRedefinitions: true);

        Assert.Equal(2, root.GetTables("r").Count);
    }

    // Regression test from the fuzzing campaign (fuzz/, targets registries-conf and agent-toml): a
    // string whose escape the end of the text cuts short made Tomlyn throw ArgumentOutOfRangeException
    // while wording the syntax error.
    [Theory]
    [InlineData("a = \"x\\")]
    [InlineData("[[registry]]\nprefix = \"*.example.com\\")]
    [InlineData("\"k\\")]
    [InlineData("a = \"\\uD800\"")]
    [InlineData("a = \"\\U00110000\"")]
    public void AnEscapeCutShortOrNamingNoCharacterIsASyntaxError(string toml)
    {
        var error = Assert.Throws<ConfigFileException>(() => TomlConfigReader.Parse(toml, "cut.toml"));

        Assert.StartsWith("cut.toml", error.Message, StringComparison.Ordinal);
        Assert.Contains("not valid TOML", error.Message, StringComparison.Ordinal);
    }

    // Regression test from the fuzzing campaign (fuzz/, target registries-conf): unclosed arrays nested
    // deeper than Tomlyn's limit made the syntax re-parse that places the error throw a TomlException.
    [Theory]
    [InlineData("a = ")]
    [InlineData("[[a\u007f]]\nb = 0B0[[c]]\nd =")]
    public void NestingDeeperThanTheParsersLimitIsASyntaxError(string prefix)
    {
        var toml = prefix + new string('[', 100);

        var error = Assert.Throws<ConfigFileException>(() => TomlConfigReader.Parse(toml, "deep.toml"));

        Assert.StartsWith("deep.toml", error.Message, StringComparison.Ordinal);
        Assert.Contains("not valid TOML", error.Message, StringComparison.Ordinal);
    }
}
