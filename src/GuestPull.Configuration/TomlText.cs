using System.Globalization;
using System.Text;
using Tomlyn.Model;

namespace GuestPull.Configuration;

/// <summary>How configuration messages and generated configuration write keys, values and choices in TOML's own syntax.</summary>
public static class TomlText
{
    /// <summary>An integer as TOML writes it.</summary>
    /// <param name="value">The integer.</param>
    /// <returns>Its decimal digits.</returns>
    public static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A bare key as is; any other key quoted, so <c>"a.b"</c> (one key) stays apart from <c>a.b</c>.</summary>
    /// <param name="key">The key.</param>
    /// <returns>The key as TOML writes it.</returns>
    public static string Key(string key) =>
        key.Length > 0 && key.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-') ? key : Quote(key);

    /// <summary>A value as a message shows it: strings quoted, tables and arrays by their kind.</summary>
    /// <param name="value">A value of Tomlyn's model.</param>
    /// <returns>The description.</returns>
    public static string Describe(object? value) => value switch
    {
        null => "nothing",
        string text => Quote(text),
        bool flag => flag ? "true" : "false",
        long number => Number(number),
        double number => number.ToString("R", CultureInfo.InvariantCulture),
        TomlTable => "a table",
        TomlTableArray or TomlArray => "an array",
        _ => "a date or time",
    };

    /// <summary><c>"a"</c>, <c>"a" or "b"</c>, <c>one of "a", "b", "c"</c>.</summary>
    /// <param name="choices">The allowed values.</param>
    /// <returns>The phrase.</returns>
    public static string Choices(IReadOnlyList<string> choices) => choices.Count switch
    {
        1 => Quote(choices[0]),
        2 => $"{Quote(choices[0])} or {Quote(choices[1])}",
        _ => "one of " + string.Join(", ", choices.Select(Quote)),
    };

    /// <summary>A TOML basic string: the backslash, the quote and control characters escaped.</summary>
    /// <param name="value">The text.</param>
    /// <returns>The quoted string.</returns>
    public static string Quote(string value)
    {
        var text = new StringBuilder("\"");
        foreach (var c in value)
        {
            _ = c switch
            {
                '\\' => text.Append("\\\\"),
                '"' => text.Append("\\\""),
                < ' ' or '\u007f' => text.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)),
                _ => text.Append(c),
            };
        }

        return text.Append('"').ToString();
    }
}
