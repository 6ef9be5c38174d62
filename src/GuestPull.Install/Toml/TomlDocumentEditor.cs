using Tomlyn.Parsing;
using Tomlyn.Syntax;

namespace GuestPull.Install.Toml;

/// <summary>
/// Edits a TOML document through Tomlyn's syntax tree, so comments, blank lines, indentation and
/// every table it does not touch come out exactly as they went in. Only <c>[table]</c> headers and
/// <c>key = value</c> lines are edited; the caller checks the result's meaning afterwards.
/// </summary>
/// <remarks>
/// Tomlyn hangs the text between two lines (blank lines, comments, the next line's indentation) on
/// the first line's end-of-line token. Insertions and removals move that trivia along, which is why
/// an insert followed by a remove gives back the original bytes.
/// </remarks>
internal sealed class TomlDocumentEditor
{
    private const string IndentUnit = "  ";
    private readonly DocumentSyntax _document;
    private readonly bool _indents;
    private readonly bool _nestsHeaders;

    private TomlDocumentEditor(DocumentSyntax document)
    {
        _document = document;
        // Follow the file's style: containerd's own output indents keys, and headers by depth.
        _indents = Lines().Any(line => Indentation(line).Length > 0);
        _nestsHeaders = Tables().Any(table => Indentation(table).Length > 0);
    }

    /// <summary>Parses <paramref name="text"/>; a syntax error is reported with its position.</summary>
    /// <exception cref="FormatException">The text is not valid TOML.</exception>
    public static TomlDocumentEditor Parse(string text, string sourceName)
    {
        var document = SyntaxParser.Parse(text, sourceName, validate: true);
        if (document.HasErrors)
        {
            throw new FormatException($"{sourceName} is not valid TOML: {string.Join("; ", document.Diagnostics.Select(d => d.ToString()))}");
        }
        return new TomlDocumentEditor(document);
    }

    /// <summary>The document as text.</summary>
    public override string ToString() => _document.ToString();

    public bool HasTable(IReadOnlyList<string> table) => FindTable(table) is not null;

    /// <summary>The names of the tables directly below <paramref name="parent"/> that have a header of their own.</summary>
    public IReadOnlyList<string> ChildTableNames(IReadOnlyList<string> parent) =>
        [.. Tables()
            .Select(KeyParts)
            .Where(name => name.Count == parent.Count + 1 && StartsWith(name, parent))
            .Select(name => name[^1])
            .Distinct(StringComparer.Ordinal)];

    /// <summary>
    /// The key line (as text) that defines <paramref name="table"/> without a header of its own, through a
    /// dotted key or an inline table; null when none does. Adding a header for such a table would be a
    /// second definition, which containerd's TOML parser rejects.
    /// </summary>
    public string? FindKeyDefinedTable(IReadOnlyList<string> table)
    {
        foreach (var line in Lines().OfType<KeyValueSyntax>())
        {
            if (line.Key is null)
            {
                continue;
            }
            var header = line.Parent?.Parent is TableSyntaxBase owner ? KeyParts(owner) : [];
            var full = header.Concat(KeyParts(line.Key)).ToList();
            var dotted = full.Count - header.Count > 1;
            for (var depth = header.Count + 1; dotted && depth < full.Count; depth++)
            {
                if (full.Take(depth).SequenceEqual(table, StringComparer.Ordinal))
                {
                    return line.ToString().Trim();
                }
            }
            if (line.Value is InlineTableSyntax && StartsWith(table, full))
            {
                return line.ToString().Trim();
            }
        }
        return null;
    }

    /// <summary>The value's TOML text (without trailing comments), or null when the table or key is absent.</summary>
    public string? GetValueText(IReadOnlyList<string> table, string key)
    {
        var keyValue = FindKeyValue(table, key);
        return keyValue?.Value is null ? null : ValueText(keyValue.Value);
    }

    /// <summary>
    /// Sets <paramref name="key"/> in <paramref name="table"/> to <paramref name="valueText"/> (TOML text such as
    /// <c>"guestpull"</c> with quotes, or <c>false</c>), creating the table when needed. A trailing comment on
    /// the old value is kept. Returns the previous value text, or null when the key was absent.
    /// </summary>
    public string? SetValue(IReadOnlyList<string> table, string key, string valueText)
    {
        var newValue = ParseValue(valueText);
        var existing = FindKeyValue(table, key);
        if (existing?.Value is not null)
        {
            var previous = ValueText(existing.Value);
            if (previous != valueText)
            {
                LastToken(newValue)!.TrailingTrivia = LastToken(existing.Value)?.TrailingTrivia;
                existing.Value = newValue;
            }
            return previous;
        }

        var header = FindTable(table) ?? AddTable(table);
        var keyValue = ParseKeyValue(key, valueText);
        InsertKeyValue(header, keyValue);
        return null;
    }

    /// <summary>Removes <paramref name="key"/> from <paramref name="table"/>; false when it was not there.</summary>
    public bool RemoveKey(IReadOnlyList<string> table, string key)
    {
        var header = FindTable(table);
        var keyValue = header is null ? null : FindKeyValue(header, key);
        if (header is null || keyValue is null)
        {
            return false;
        }

        var lines = Lines();
        var index = lines.IndexOf(keyValue);
        if (index > 0)
        {
            SetTrailing(lines[index - 1], GetEndOfLine(keyValue)?.TrailingTrivia);
        }
        header.Items.RemoveChild(keyValue);
        return true;
    }

    /// <summary>Whether the table exists and holds no key.</summary>
    public bool IsEmptyTable(IReadOnlyList<string> table) => FindTable(table) is { } header && header.Items.ChildrenCount == 0;

    /// <summary>Removes the table and every table below it; false when none was there.</summary>
    public bool RemoveTableTree(IReadOnlyList<string> table)
    {
        var removed = false;
        while (Tables().FirstOrDefault(t => StartsWith(KeyParts(t), table)) is { } header)
        {
            var lines = Lines();
            var first = lines.IndexOf(header);
            var last = header.Items.ChildrenCount == 0 ? header : (SyntaxNode)header.Items.GetChild(header.Items.ChildrenCount - 1)!;
            if (first > 0)
            {
                SetTrailing(lines[first - 1], GetEndOfLine(last)?.TrailingTrivia);
            }
            _document.Tables.RemoveChild(header);
            removed = true;
        }
        return removed;
    }

    private TableSyntaxBase AddTable(IReadOnlyList<string> table)
    {
        var tables = Tables();
        // After the deepest existing ancestor and everything below it, so related tables stay together.
        var insertAfter = -1;
        for (var depth = table.Count - 1; depth >= 1 && insertAfter < 0; depth--)
        {
            var prefix = table.Take(depth).ToArray();
            for (var i = 0; i < tables.Count; i++)
            {
                if (StartsWith(KeyParts(tables[i]), prefix))
                {
                    insertAfter = i;
                }
            }
        }
        if (insertAfter < 0)
        {
            insertAfter = tables.Count - 1;
        }

        var header = ParseTable(table);
        var indent = _nestsHeaders ? string.Concat(Enumerable.Repeat(IndentUnit, table.Count - 1)) : string.Empty;
        var lines = Lines();
        SyntaxNode? previous = insertAfter >= 0 ? LastLineOf(tables[insertAfter]) : lines.LastOrDefault();
        if (previous is not null)
        {
            var endOfLine = EnsureEndOfLine(previous);
            header.EndOfLineToken!.TrailingTrivia = endOfLine.TrailingTrivia;
            endOfLine.TrailingTrivia = [new SyntaxTrivia(TokenKind.NewLine, "\n"), .. WhitespaceTrivia(indent)];
        }
        else
        {
            header.OpenBracket!.LeadingTrivia = WhitespaceTrivia(indent);
        }

        // SyntaxList has no insert: take the tail off, add, put the tail back.
        var tail = new List<TableSyntaxBase>();
        while (_document.Tables.ChildrenCount > insertAfter + 1)
        {
            tail.Add(_document.Tables.GetChild(insertAfter + 1)!);
            _document.Tables.RemoveChildAt(insertAfter + 1);
        }
        _document.Tables.Add(header);
        foreach (var table2 in tail)
        {
            _document.Tables.Add(table2);
        }
        return header;
    }

    private void InsertKeyValue(TableSyntaxBase header, KeyValueSyntax keyValue)
    {
        SyntaxNode previous = header.Items.ChildrenCount == 0 ? header : header.Items.GetChild(header.Items.ChildrenCount - 1)!;
        var indent = header.Items.ChildrenCount == 0
            ? Indentation(header) + (_indents ? IndentUnit : string.Empty)
            : Indentation(previous);
        var endOfLine = EnsureEndOfLine(previous);
        keyValue.EndOfLineToken!.TrailingTrivia = endOfLine.TrailingTrivia;
        endOfLine.TrailingTrivia = WhitespaceTrivia(indent);
        header.Items.Add(keyValue);
    }

    private static SyntaxNode LastLineOf(TableSyntaxBase table) =>
        table.Items.ChildrenCount == 0 ? table : table.Items.GetChild(table.Items.ChildrenCount - 1)!;

    private List<SyntaxNode> Lines()
    {
        var lines = new List<SyntaxNode>();
        foreach (var keyValue in _document.KeyValues)
        {
            lines.Add(keyValue);
        }
        foreach (var table in Tables())
        {
            lines.Add(table);
            foreach (var keyValue in table.Items)
            {
                lines.Add(keyValue);
            }
        }
        return lines;
    }

    private List<TableSyntaxBase> Tables()
    {
        var tables = new List<TableSyntaxBase>();
        foreach (var table in _document.Tables)
        {
            tables.Add(table);
        }
        return tables;
    }

    // The whitespace that starts the line: what the previous line's end-of-line trivia ends with.
    private string Indentation(SyntaxNode line)
    {
        var lines = Lines();
        var index = lines.IndexOf(line);
        var trivia = index > 0 ? GetEndOfLine(lines[index - 1])?.TrailingTrivia : null;
        if (trivia is null || trivia.Count == 0 || trivia[^1].Kind != TokenKind.Whitespaces)
        {
            return string.Empty;
        }
        return trivia[^1].Text ?? string.Empty;
    }

    private TableSyntaxBase? FindTable(IReadOnlyList<string> table) =>
        Tables().FirstOrDefault(t => t is TableSyntax && KeyParts(t).SequenceEqual(table, StringComparer.Ordinal));

    private KeyValueSyntax? FindKeyValue(IReadOnlyList<string> table, string key)
    {
        if (table.Count == 0)
        {
            foreach (var keyValue in _document.KeyValues)
            {
                if (IsKey(keyValue, key))
                {
                    return keyValue;
                }
            }
            return null;
        }
        return FindTable(table) is { } header ? FindKeyValue(header, key) : null;
    }

    private static KeyValueSyntax? FindKeyValue(TableSyntaxBase header, string key)
    {
        foreach (var keyValue in header.Items)
        {
            if (IsKey(keyValue, key))
            {
                return keyValue;
            }
        }
        return null;
    }

    private static bool IsKey(KeyValueSyntax keyValue, string key) =>
        keyValue.Key is { } k && KeyParts(k) is [var single] && single == key;

    private static List<string> KeyParts(TableSyntaxBase table) => table.Name is null ? [] : KeyParts(table.Name);

    private static List<string> KeyParts(KeySyntax key)
    {
        var parts = new List<string> { KeyText(key.Key) };
        foreach (var dotted in key.DotKeys)
        {
            parts.Add(KeyText(dotted.Key));
        }
        return parts;
    }

    private static string KeyText(BareKeyOrStringValueSyntax? key) => key switch
    {
        BareKeySyntax bare => bare.Key?.Text ?? string.Empty,
        StringValueSyntax quoted => quoted.Value ?? string.Empty,
        _ => string.Empty,
    };

    private static bool StartsWith(IReadOnlyList<string> name, IReadOnlyList<string> prefix) =>
        name.Count >= prefix.Count && name.Take(prefix.Count).SequenceEqual(prefix, StringComparer.Ordinal);

    private static string ValueText(ValueSyntax value)
    {
        var text = value.ToString();
        var trailing = LastToken(value)?.TrailingTrivia;
        var trailingLength = trailing?.Sum(t => t.Text?.Length ?? 0) ?? 0;
        return text[..(text.Length - trailingLength)];
    }

    private static SyntaxToken? LastToken(SyntaxNode node)
    {
        if (node is SyntaxToken token)
        {
            return token;
        }
        for (var i = node.ChildrenCount - 1; i >= 0; i--)
        {
            if (node.GetChild(i) is { } child && LastToken(child) is { } last)
            {
                return last;
            }
        }
        return null;
    }

    private static SyntaxToken? GetEndOfLine(SyntaxNode line) => line switch
    {
        KeyValueSyntax keyValue => keyValue.EndOfLineToken,
        TableSyntaxBase table => table.EndOfLineToken,
        _ => null,
    };

    private static SyntaxToken EnsureEndOfLine(SyntaxNode line)
    {
        if (GetEndOfLine(line) is { } existing)
        {
            return existing;
        }
        var created = new SyntaxToken(TokenKind.NewLine, "\n");
        switch (line)
        {
            case KeyValueSyntax keyValue:
                keyValue.EndOfLineToken = created;
                break;
            case TableSyntaxBase table:
                table.EndOfLineToken = created;
                break;
        }
        return created;
    }

    private static void SetTrailing(SyntaxNode line, List<SyntaxTrivia>? trivia)
    {
        var endOfLine = EnsureEndOfLine(line);
        endOfLine.TrailingTrivia = trivia is null ? null : [.. trivia];
    }

    private static List<SyntaxTrivia> WhitespaceTrivia(string indent) =>
        indent.Length == 0 ? [] : [new SyntaxTrivia(TokenKind.Whitespaces, indent)];

    // New nodes come from parsing a one-line document, so keys and values are quoted exactly as TOML wants.
    private static ValueSyntax ParseValue(string valueText)
    {
        var keyValue = ParseKeyValue("v", valueText);
        var value = keyValue.Value!;
        keyValue.Value = null;
        return value;
    }

    private static KeyValueSyntax ParseKeyValue(string key, string valueText)
    {
        var document = Parse($"{FormatKey(key)} = {valueText}\n", "generated value")._document;
        var keyValue = document.KeyValues.GetChild(0) ?? throw new FormatException($"'{valueText}' is not a TOML value");
        document.KeyValues.RemoveChildAt(0);
        if (keyValue.EndOfLineToken is { } endOfLine)
        {
            endOfLine.TrailingTrivia = null;
        }
        return keyValue;
    }

    private static TableSyntaxBase ParseTable(IReadOnlyList<string> table)
    {
        var document = Parse($"[{string.Join('.', table.Select(FormatKey))}]\n", "generated table")._document;
        var header = document.Tables.GetChild(0)!;
        document.Tables.RemoveChildAt(0);
        return header;
    }

    /// <summary>A key as TOML writes it: bare when it can be, else a basic string.</summary>
    public static string FormatKey(string key) => BareKeySyntax.IsBareKey(key) ? key : Quote(key);

    /// <summary>A TOML basic string.</summary>
    public static string Quote(string value)
    {
        var quoted = new System.Text.StringBuilder(value.Length + 2).Append('"');
        foreach (var c in value)
        {
            _ = c switch
            {
                '"' => quoted.Append("\\\""),
                '\\' => quoted.Append("\\\\"),
                < ' ' or '\u007f' => quoted.Append(System.Globalization.CultureInfo.InvariantCulture, $"\\u{(int)c:X4}"),
                _ => quoted.Append(c),
            };
        }
        return quoted.Append('"').ToString();
    }
}
