using Tomlyn;
using Tomlyn.Model;
using Tomlyn.Parsing;
using Tomlyn.Syntax;

namespace GuestPull.Configuration;

/// <summary>
/// Reads a TOML configuration file into Tomlyn's untyped model (no reflection-based mapping, so
/// callers stay trim- and NativeAOT-safe) and hands back its top-level table as a <see cref="TomlSection"/>.
/// Every failure is a <see cref="ConfigFileException"/> naming the file.
/// </summary>
public static class TomlConfigReader
{
    /// <summary>Reads and parses <paramref name="path"/>.</summary>
    /// <param name="path">The file; messages name it as given.</param>
    /// <param name="rejectRedefinitions">Also refuse a key or table defined twice, which Tomlyn's model would otherwise let the last one win.</param>
    /// <exception cref="ConfigFileException">The file cannot be read or is not valid TOML.</exception>
    public static TomlSection Read(string path, bool rejectRedefinitions = false)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Unreadable(path, ex);
        }

        return Parse(text, path, rejectRedefinitions);
    }

    /// <summary>Reads and parses <paramref name="path"/>.</summary>
    /// <param name="path">The file; messages name it as given.</param>
    /// <param name="cancellationToken">Stops the read.</param>
    /// <param name="rejectRedefinitions">Also refuse a key or table defined twice.</param>
    /// <exception cref="ConfigFileException">The file cannot be read or is not valid TOML.</exception>
    public static async Task<TomlSection> ReadAsync(string path, CancellationToken cancellationToken, bool rejectRedefinitions = false)
    {
        string text;
        try
        {
            text = await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Unreadable(path, ex);
        }

        return Parse(text, path, rejectRedefinitions);
    }

    /// <summary>Parses TOML text.</summary>
    /// <param name="text">The TOML.</param>
    /// <param name="file">The name messages give the text (usually its path).</param>
    /// <param name="rejectRedefinitions">Also refuse a key or table defined twice.</param>
    /// <exception cref="ConfigFileException">The text is not valid TOML; the message names the line and column.</exception>
    public static TomlSection Parse(string text, string file, bool rejectRedefinitions = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(file);

        TomlTable table;
        try
        {
            table = TomlSerializer.Deserialize(text, TomlModelContext.Default.TomlTable) ?? [];
        }
        catch (TomlException ex)
        {
            throw NotToml(text, file, ex);
        }
        catch (ArgumentOutOfRangeException ex)
        {
            throw EscapeCutShort(file, ex);
        }

        if (rejectRedefinitions)
        {
            TomlRedefinitionCheck.Check(text, file);
        }

        return TomlSection.Root(table, file);
    }

    // The model converter wraps the parser's error in its own words and loses the position; the syntax
    // tree has the first error where it is.
    private static ConfigFileException NotToml(string text, string file, TomlException ex)
    {
        DiagnosticMessage? error;
        try
        {
            error = SyntaxParser.Parse(text, file, false).Diagnostics.FirstOrDefault(d => d.Kind == DiagnosticMessageKind.Error);
        }
        catch (TomlException)
        {
            // The syntax parser has limits of its own (nesting depth) and may stop before reaching the
            // error: the model's error, without its exact place, still says what is wrong.
            error = null;
        }
        catch (ArgumentOutOfRangeException escape)
        {
            throw EscapeCutShort(file, escape);
        }

        return error is null
            ? ConfigFileException.FileProblem(file, $"not valid TOML: {ex.GetBaseException().Message.Trim()}", ex.Line, ex.Column, ex)
            : ConfigFileException.FileProblem(file, $"not valid TOML: {error.Message.Trim()}", error.Span.Start.Line + 1, error.Span.Start.Column + 1, ex);
    }

    // Tomlyn's lexer throws this, not a TomlException, while wording the error for a string whose
    // escape the end of the text cuts short (a backslash as the last character, in a key or a value).
    private static ConfigFileException EscapeCutShort(string file, ArgumentOutOfRangeException ex) =>
        ConfigFileException.FileProblem(file, "not valid TOML: a string ends inside an escape sequence", innerException: ex);

    private static ConfigFileException Unreadable(string path, Exception ex) =>
        ConfigFileException.FileProblem(path, $"cannot be read: {ex.Message}", innerException: ex);
}
