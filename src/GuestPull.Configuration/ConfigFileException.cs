using System.Globalization;
using System.Text;

namespace GuestPull.Configuration;

/// <summary>
/// A configuration file that cannot be used. The message always has the same shape:
/// <c>file[: line L, column C][: key]: what is wrong</c>, for instance
/// <c>agent.toml: [agent] pull_concurrency: expected an integer between 1 and 64, got "x"</c>.
/// </summary>
public sealed class ConfigFileException : Exception
{
    /// <summary>Creates the exception with a ready-made message.</summary>
    public ConfigFileException()
    {
    }

    /// <summary>Creates the exception with a ready-made message.</summary>
    /// <param name="message">What went wrong.</param>
    public ConfigFileException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a ready-made message and its cause.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public ConfigFileException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    private ConfigFileException(string file, string? key, int? line, int? column, string problem, Exception? innerException)
        : base(Format(file, key, line, column, problem), innerException)
    {
        File = file;
        Key = key;
        Line = line;
        Column = column;
        Problem = problem;
    }

    /// <summary>The file at fault (as the caller named it).</summary>
    public string? File { get; }

    /// <summary>The key at fault as messages name it (<c>[agent] pull_concurrency</c>), or null when the whole file is.</summary>
    public string? Key { get; }

    /// <summary>The 1-based line at fault, when known.</summary>
    public int? Line { get; }

    /// <summary>The 1-based column at fault, when known.</summary>
    public int? Column { get; }

    /// <summary>What is wrong, without the file and key.</summary>
    public string? Problem { get; }

    /// <summary>A key whose value is not what it should be: <c>file: key: expected …, got …</c>.</summary>
    /// <param name="file">The file.</param>
    /// <param name="key">The key, as <see cref="TomlSection.NameOf"/> names it.</param>
    /// <param name="expected">What the key should hold, e.g. <c>an integer between 1 and 64</c>.</param>
    /// <param name="actual">What it holds, described (see <see cref="TomlSection.Describe"/>).</param>
    public static ConfigFileException WrongValue(string file, string key, string expected, string actual) =>
        new(file, key, null, null, $"expected {expected}, got {actual}", null);

    /// <summary>A problem with a key that is not about its value's shape: <c>file: key: problem</c>.</summary>
    /// <param name="file">The file.</param>
    /// <param name="key">The key or table, as messages name it.</param>
    /// <param name="problem">What is wrong, e.g. <c>is required</c>.</param>
    /// <param name="line">The 1-based line, when known.</param>
    public static ConfigFileException KeyProblem(string file, string key, string problem, int? line = null) =>
        new(file, key, line, null, problem, null);

    /// <summary>A problem with the whole file: <c>file[: line L, column C]: problem</c>.</summary>
    /// <param name="file">The file.</param>
    /// <param name="problem">What is wrong.</param>
    /// <param name="line">The 1-based line, when known.</param>
    /// <param name="column">The 1-based column, when known.</param>
    /// <param name="innerException">The cause, if any.</param>
    public static ConfigFileException FileProblem(string file, string problem, int? line = null, int? column = null, Exception? innerException = null) =>
        new(file, null, line, column, problem, innerException);

    private static string Format(string file, string? key, int? line, int? column, string problem)
    {
        var text = new StringBuilder(file);
        if (line is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $": line {line}");
            if (column is not null)
            {
                text.Append(CultureInfo.InvariantCulture, $", column {column}");
            }
        }

        if (key is not null)
        {
            text.Append(": ").Append(key);
        }

        return text.Append(": ").Append(problem).ToString();
    }
}
