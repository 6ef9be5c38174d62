using System.Text;
using System.Text.RegularExpressions;
using GuestPull.Snapshotter.Storage;

namespace GuestPull.Snapshotter.Filters;

/// <summary>
/// containerd's List filters: within one string, clauses separated by commas must all match; with
/// several strings, any one matching is enough; no strings match everything. Fields: `name`,
/// `parent`, `kind`, `labels.&lt;key&gt;` (the key may be double-quoted); operators `==`, `!=`, `~=`
/// or none (presence). Values may be bare, double-quoted or `/regex/`-quoted.
/// </summary>
internal sealed class SnapshotFilter
{
    private static readonly string[] KnownFields = ["name", "parent", "kind", "labels"];

    private readonly List<List<FilterClause>> _alternatives;

    private SnapshotFilter(List<List<FilterClause>> alternatives)
    {
        _alternatives = alternatives;
    }

    public static SnapshotFilter MatchAll { get; } = new([]);

    public bool Matches(SnapshotRecord record) =>
        _alternatives.Count == 0 || _alternatives.Exists(clauses => clauses.TrueForAll(clause => clause.Matches(record)));

    /// <summary>Parses containerd filter strings; a malformed one is an InvalidArgument naming it.</summary>
    public static SnapshotFilter Parse(IEnumerable<string> filters)
    {
        var alternatives = new List<List<FilterClause>>();
        foreach (var filter in filters)
        {
            if (string.IsNullOrWhiteSpace(filter))
            {
                continue;
            }
            try
            {
                alternatives.Add(new Parser(filter).ParseClauses());
            }
            catch (FormatException ex)
            {
                throw SnapshotException.InvalidArgument($"invalid filter '{filter}': {ex.Message}");
            }
        }
        return alternatives.Count == 0 ? MatchAll : new SnapshotFilter(alternatives);
    }

    private sealed class Parser(string text)
    {
        private int _position;

        public List<FilterClause> ParseClauses()
        {
            var clauses = new List<FilterClause> { ParseClause() };
            while (true)
            {
                SkipSpaces();
                if (AtEnd)
                {
                    return clauses;
                }
                Expect(',');
                clauses.Add(ParseClause());
            }
        }

        private bool AtEnd => _position >= text.Length;

        private FilterClause ParseClause()
        {
            var path = new List<string> { ParseFieldPart() };
            while (!AtEnd && text[_position] == '.')
            {
                _position++;
                path.Add(ParseFieldPart());
            }
            var field = path[0];
            if (Array.IndexOf(KnownFields, field) < 0)
            {
                throw new FormatException($"unknown field '{field}' (expected name, parent, kind or labels.<key>)");
            }
            string? labelKey = null;
            if (field == "labels")
            {
                if (path.Count < 2)
                {
                    throw new FormatException("'labels' needs a key, as in labels.\"key\"");
                }
                labelKey = string.Join('.', path.Skip(1));
            }
            else if (path.Count > 1)
            {
                throw new FormatException($"field '{field}' has no sub-fields");
            }
            SkipSpaces();
            if (AtEnd || text[_position] == ',')
            {
                return new FilterClause(field, labelKey, FilterOperator.Present, string.Empty, null);
            }
            var op = ParseOperator();
            SkipSpaces();
            var value = ParseValue();
            Regex? pattern = null;
            if (op == FilterOperator.Matches)
            {
                try
                {
                    pattern = new Regex(value, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
                }
                catch (ArgumentException ex)
                {
                    throw new FormatException($"bad regular expression '{value}': {ex.Message}");
                }
            }
            return new FilterClause(field, labelKey, op, value, pattern);
        }

        private FilterOperator ParseOperator()
        {
            if (_position + 1 < text.Length && text[_position + 1] == '=')
            {
                var op = text[_position] switch
                {
                    '=' => FilterOperator.Equal,
                    '!' => FilterOperator.NotEqual,
                    '~' => FilterOperator.Matches,
                    _ => (FilterOperator?)null,
                };
                if (op is not null)
                {
                    _position += 2;
                    return op.Value;
                }
            }
            throw new FormatException($"expected ==, != or ~= at position {_position}");
        }

        private string ParseFieldPart()
        {
            SkipSpaces();
            if (!AtEnd && text[_position] == '"')
            {
                return ParseQuoted('"');
            }
            var start = _position;
            while (!AtEnd && IsFieldChar(text[_position]))
            {
                _position++;
            }
            if (start == _position)
            {
                throw new FormatException($"expected a field name at position {start}");
            }
            return text[start.._position];
        }

        private string ParseValue()
        {
            if (AtEnd)
            {
                throw new FormatException("missing value after the operator");
            }
            if (text[_position] is '"' or '/')
            {
                return ParseQuoted(text[_position]);
            }
            var start = _position;
            while (!AtEnd && text[_position] != ',')
            {
                _position++;
            }
            var value = text[start.._position].TrimEnd();
            if (value.Length == 0)
            {
                throw new FormatException("missing value after the operator");
            }
            return value;
        }

        private string ParseQuoted(char quote)
        {
            var start = _position;
            _position++;
            var builder = new StringBuilder();
            while (!AtEnd)
            {
                var c = text[_position++];
                if (c == quote)
                {
                    return builder.ToString();
                }
                if (c == '\\' && !AtEnd)
                {
                    var escaped = text[_position++];
                    builder.Append(escaped switch
                    {
                        'n' => "\n",
                        't' => "\t",
                        'r' => "\r",
                        _ when escaped == quote || escaped == '\\' => escaped.ToString(),
                        // Inside /regex/ keep other escapes for the regex engine.
                        _ when quote == '/' => "\\" + escaped,
                        _ => throw new FormatException($"unsupported escape \\{escaped} at position {_position - 2}"),
                    });
                    continue;
                }
                builder.Append(c);
            }
            throw new FormatException($"unterminated {quote}-quoted string starting at position {start}");
        }

        private void Expect(char c)
        {
            if (AtEnd || text[_position] != c)
            {
                throw new FormatException($"expected '{c}' at position {_position}");
            }
            _position++;
        }

        private void SkipSpaces()
        {
            while (!AtEnd && char.IsWhiteSpace(text[_position]))
            {
                _position++;
            }
        }

        private static bool IsFieldChar(char c) =>
            !char.IsWhiteSpace(c) && c is not ('.' or ',' or '"' or '=' or '!' or '~');
    }
}
