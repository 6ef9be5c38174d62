using Tomlyn.Parsing;
using Tomlyn.Syntax;

namespace GuestPull.Configuration;

/// <summary>
/// Rejects a key or table defined twice. TOML forbids it (containers' own parser refuses such a
/// file), but Tomlyn's model keeps the last value silently, so a second <c>blocked = false</c>
/// would quietly override the first.
/// </summary>
internal static class TomlRedefinitionCheck
{
    public static void Check(string toml, string sourceName)
    {
        var document = SyntaxParser.Parse(toml, sourceName, false);
        var defined = new HashSet<string>(StringComparer.Ordinal);
        var arrayCounts = new Dictionary<string, int>(StringComparer.Ordinal);

        AddKeys(document.KeyValues, string.Empty, defined, sourceName);
        foreach (var table in document.Tables)
        {
            if (table.Name is null)
            {
                continue;
            }

            var segments = Segments(table.Name);
            var parent = Resolve(segments[..^1], arrayCounts);
            var path = parent.Length == 0 ? Quote(segments[^1]) : parent + "." + Quote(segments[^1]);
            if (table is TableArraySyntax)
            {
                if (defined.Contains(path))
                {
                    throw Redefined(sourceName, string.Join('.', segments.Select(TomlText.Key)), table);
                }

                var count = arrayCounts.GetValueOrDefault(path);
                arrayCounts[path] = count + 1;
                path += $"[{count}]";
            }
            else if (arrayCounts.ContainsKey(path) || !defined.Add(path))
            {
                throw Redefined(sourceName, string.Join('.', segments.Select(TomlText.Key)), table);
            }

            AddKeys(table.Items, path, defined, sourceName);
        }
    }

    private static void AddKeys(SyntaxList<KeyValueSyntax> items, string tablePath, HashSet<string> defined, string sourceName)
    {
        foreach (var item in items)
        {
            if (item.Key is null)
            {
                continue;
            }

            var segments = Segments(item.Key);
            var path = tablePath;
            foreach (var segment in segments)
            {
                path = path.Length == 0 ? Quote(segment) : path + "." + Quote(segment);
            }

            if (!defined.Add(path))
            {
                throw Redefined(sourceName, string.Join('.', segments.Select(TomlText.Key)), item);
            }
        }
    }

    // Inside [[a]] a later [a.b] belongs to the latest element of a.
    private static string Resolve(string[] segments, Dictionary<string, int> arrayCounts)
    {
        var path = string.Empty;
        foreach (var segment in segments)
        {
            path = path.Length == 0 ? Quote(segment) : path + "." + Quote(segment);
            if (arrayCounts.TryGetValue(path, out var count))
            {
                path += $"[{count - 1}]";
            }
        }

        return path;
    }

    private static string[] Segments(KeySyntax key)
    {
        var segments = new List<string> { Text(key.Key) };
        foreach (var dotted in key.DotKeys)
        {
            segments.Add(Text(dotted.Key));
        }

        return [.. segments];
    }

    private static string Text(BareKeyOrStringValueSyntax? key) => key switch
    {
        BareKeySyntax bare => bare.Key?.Text ?? string.Empty,
        StringValueSyntax quoted => quoted.Value ?? string.Empty,
        _ => string.Empty,
    };

    // Keeps "a.b" (one quoted key) apart from a.b (two keys).
    private static string Quote(string segment) => "\"" + segment.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    private static ConfigFileException Redefined(string sourceName, string key, SyntaxNode node) =>
        ConfigFileException.KeyProblem(sourceName, key, "is defined more than once", node.Span.Start.Line + 1);
}
