using System.Globalization;
using Tomlyn.Model;

namespace GuestPull.Configuration;

/// <summary>
/// One table of a configuration file (the top level, <c>[agent]</c>, one <c>[[registry]]</c>) with typed
/// reads of its keys. A read that finds the wrong thing throws a <see cref="ConfigFileException"/> naming
/// the file, the key and what was expected; parsers name their own domain problems the same way through
/// <see cref="Invalid(string, string)"/> and <see cref="Problem"/>.
/// </summary>
public sealed class TomlSection
{
    private readonly TomlTable _table;
    private readonly string _tomlPath;
    private readonly bool _inArray;

    private TomlSection(TomlTable table, string file, string tomlPath, string label, bool inArray)
    {
        _table = table;
        _tomlPath = tomlPath;
        _inArray = inArray;
        File = file;
        Label = label;
    }

    /// <summary>The file, as messages name it.</summary>
    public string File { get; }

    /// <summary>How messages name this table: empty at the top level, else e.g. <c>[agent]</c> or <c>[[registry]] #2</c>.</summary>
    public string Label { get; }

    /// <summary>The keys in the order the file gives them.</summary>
    public IReadOnlyList<string> Keys => [.. _table.Keys];

    /// <summary>Whether the table has <paramref name="key"/>.</summary>
    /// <param name="key">The key.</param>
    public bool ContainsKey(string key) => _table.ContainsKey(key);

    /// <summary>How messages name <paramref name="key"/> of this table, e.g. <c>[agent] pull_concurrency</c>.</summary>
    /// <param name="key">The key.</param>
    public string NameOf(string key)
    {
        var name = TomlText.Key(key);
        return Label.Length == 0 ? name : Label + " " + name;
    }

    /// <summary>The key's value as Tomlyn holds it (string, long, double, bool, a date or time, <see cref="TomlArray"/>, <see cref="TomlTable"/>, <see cref="TomlTableArray"/>).</summary>
    /// <param name="key">The key.</param>
    /// <exception cref="ConfigFileException">The key is absent.</exception>
    public object GetValue(string key) =>
        _table.TryGetValue(key, out var value) && value is not null ? value : throw Problem(key, "is required");

    /// <summary>A string.</summary>
    /// <param name="key">The key.</param>
    /// <exception cref="ConfigFileException">The key is absent or holds something else.</exception>
    public string GetString(string key) => GetValue(key) as string ?? throw Invalid(key, "a string");

    /// <summary>A string with at least one character and no NUL.</summary>
    /// <param name="key">The key.</param>
    /// <exception cref="ConfigFileException">The key is absent or holds something else.</exception>
    public string GetNonEmptyString(string key) =>
        GetValue(key) is string { Length: > 0 } text && !text.Contains('\0', StringComparison.Ordinal)
            ? text
            : throw Invalid(key, "a non-empty string");

    /// <summary>An absolute path, without its trailing separator.</summary>
    /// <param name="key">The key.</param>
    /// <exception cref="ConfigFileException">The key is absent or holds something else.</exception>
    public string GetAbsolutePath(string key) =>
        GetValue(key) is string { Length: > 0 } path && Path.IsPathFullyQualified(path) && !path.Contains('\0', StringComparison.Ordinal)
            ? Path.TrimEndingDirectorySeparator(path)
            : throw Invalid(key, "an absolute path");

    /// <summary>true or false.</summary>
    /// <param name="key">The key.</param>
    /// <exception cref="ConfigFileException">The key is absent or holds something else.</exception>
    public bool GetBoolean(string key) => GetValue(key) as bool? ?? throw Invalid(key, "true or false");

    /// <summary>An integer from <paramref name="minimum"/> to <paramref name="maximum"/>, both included.</summary>
    /// <param name="key">The key.</param>
    /// <param name="minimum">The smallest value allowed.</param>
    /// <param name="maximum">The largest value allowed.</param>
    /// <exception cref="ConfigFileException">The key is absent, not an integer or out of range.</exception>
    public long GetInteger(string key, long minimum, long maximum) =>
        GetValue(key) is long number && number >= minimum && number <= maximum
            ? number
            : throw Invalid(key, minimum == maximum ? TomlText.Number(minimum) : $"an integer between {TomlText.Number(minimum)} and {TomlText.Number(maximum)}");

    /// <summary>A duration written as a whole number of seconds from <paramref name="minimum"/> to <paramref name="maximum"/>.</summary>
    /// <param name="key">The key.</param>
    /// <param name="minimum">The fewest seconds allowed.</param>
    /// <param name="maximum">The most seconds allowed.</param>
    /// <exception cref="ConfigFileException">The key is absent, not an integer or out of range.</exception>
    public TimeSpan GetSeconds(string key, long minimum, long maximum) =>
        GetValue(key) is long seconds && seconds >= minimum && seconds <= maximum
            ? TimeSpan.FromSeconds(seconds)
            : throw Invalid(key, $"a whole number of seconds between {TomlText.Number(minimum)} and {TomlText.Number(maximum)}");

    /// <summary>One of <paramref name="choices"/>, compared exactly.</summary>
    /// <param name="key">The key.</param>
    /// <param name="choices">The strings allowed.</param>
    /// <exception cref="ConfigFileException">The key is absent or holds something else.</exception>
    public string GetChoice(string key, params IReadOnlyList<string> choices)
    {
        ArgumentNullException.ThrowIfNull(choices);
        return GetValue(key) is string text && choices.Contains(text, StringComparer.Ordinal)
            ? text
            : throw Invalid(key, TomlText.Choices(choices));
    }

    /// <summary>An array of strings.</summary>
    /// <param name="key">The key.</param>
    /// <exception cref="ConfigFileException">The key is absent, not an array, or holds something other than strings.</exception>
    public IReadOnlyList<string> GetStringArray(string key)
    {
        if (GetValue(key) is not TomlArray array)
        {
            throw Invalid(key, "an array of strings");
        }

        var strings = new List<string>(array.Count);
        foreach (var item in array)
        {
            strings.Add(item as string ?? throw InvalidEntry(key, "an array of strings", item, strings.Count));
        }

        return strings;
    }

    /// <summary>A sub-table (<c>[name]</c> or an inline table).</summary>
    /// <param name="key">The key.</param>
    /// <exception cref="ConfigFileException">The key is absent or holds something else.</exception>
    public TomlSection GetTable(string key)
    {
        var path = ChildPath(key);
        var table = GetValue(key) as TomlTable ?? throw Invalid(key, $"a table, written [{path}]");
        var header = "[" + path + "]";
        return new TomlSection(table, File, path, _inArray ? Label + " " + header : header, _inArray);
    }

    /// <summary>An array of tables (<c>[[name]]</c> or an inline array of inline tables), each labelled with its 1-based index.</summary>
    /// <param name="key">The key.</param>
    /// <exception cref="ConfigFileException">The key is absent or holds something else.</exception>
    public IReadOnlyList<TomlSection> GetTables(string key)
    {
        var path = ChildPath(key);
        IEnumerable<TomlTable> tables = GetValue(key) switch
        {
            TomlTableArray array => array,
            TomlArray array when array.All(item => item is TomlTable) => array.Cast<TomlTable>(),
            _ => throw Invalid(key, $"an array of tables, written [[{path}]]"),
        };

        var prefix = _inArray ? Label + " " : string.Empty;
        return [.. tables.Select((table, index) => new TomlSection(
            table, File, path, prefix + "[[" + path + "]] #" + (index + 1).ToString(CultureInfo.InvariantCulture), inArray: true))];
    }

    /// <summary>The error for a key whose value is not <paramref name="expected"/>; the message shows the value found.</summary>
    /// <param name="key">The key.</param>
    /// <param name="expected">What the key should hold, e.g. <c>an absolute path</c>.</param>
    public ConfigFileException Invalid(string key, string expected) =>
        Invalid(key, expected, _table.TryGetValue(key, out var value) ? value : null);

    /// <summary>The error for a key whose value (or an entry of it) is not <paramref name="expected"/>.</summary>
    /// <param name="key">The key.</param>
    /// <param name="expected">What the key should hold.</param>
    /// <param name="actual">What was found instead.</param>
    public ConfigFileException Invalid(string key, string expected, object? actual) =>
        ConfigFileException.WrongValue(File, NameOf(key), expected, Describe(actual));

    /// <summary>The error for a problem with a key that is not about its value's shape, e.g. <c>is required</c>.</summary>
    /// <param name="key">The key.</param>
    /// <param name="problem">What is wrong.</param>
    public ConfigFileException Problem(string key, string problem) =>
        ConfigFileException.KeyProblem(File, NameOf(key), problem);

    /// <summary>The error for a problem with the table as a whole, e.g. two keys that cannot be combined.</summary>
    /// <param name="problem">What is wrong.</param>
    public ConfigFileException TableProblem(string problem) =>
        Label.Length == 0 ? ConfigFileException.FileProblem(File, problem) : ConfigFileException.KeyProblem(File, Label, problem);

    /// <summary>The warning for a key the parser does not know: <c>file: key: unknown key, ignored</c>.</summary>
    /// <param name="key">The key.</param>
    public string UnknownKeyWarning(string key) => $"{File}: {NameOf(key)}: unknown key, ignored";

    /// <summary>How messages show a TOML value: strings quoted, numbers and booleans as written, containers by kind.</summary>
    /// <param name="value">The value; null reads as <c>nothing</c>.</param>
    public static string Describe(object? value) => TomlText.Describe(value);

    /// <summary>
    /// The table written back as TOML text, for a table that embeds another tool's whole file (e.g. a
    /// registries.conf given inline), which that tool's own parser then reads.
    /// </summary>
    public string ToText() => Tomlyn.TomlSerializer.Serialize(_table, TomlModelContext.Default.TomlTable);

    internal static TomlSection Root(TomlTable table, string file) => new(table, file, string.Empty, string.Empty, inArray: false);

    private string ChildPath(string key) => _tomlPath.Length == 0 ? TomlText.Key(key) : _tomlPath + "." + TomlText.Key(key);

    private ConfigFileException InvalidEntry(string key, string expected, object? entry, int index) =>
        ConfigFileException.WrongValue(File, NameOf(key), expected, $"{Describe(entry)} at index {index.ToString(CultureInfo.InvariantCulture)}");
}
