using System.Text;

namespace GuestPull.Oci.Registry.Auth;

/// <summary>
/// A recursive-descent reader of RFC 7235's <c>1#challenge</c>. Challenges and their
/// parameters are both comma-separated, so after a comma a <c>token =</c> continues the
/// current challenge and anything else starts the next one.
/// </summary>
internal sealed class AuthChallengeParser(string header)
{
    private const int MaxQuotedLength = 200;
    private static readonly IReadOnlyDictionary<string, string> NoParameters =
        new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    private int _position;

    private bool AtEnd => _position >= header.Length;

    private char Current => header[_position];

    public List<AuthChallenge> ParseAll()
    {
        var challenges = new List<AuthChallenge>();
        SkipListSeparators();
        if (AtEnd)
        {
            throw Fail("it holds no challenge");
        }

        while (!AtEnd)
        {
            challenges.Add(ParseChallenge());
        }

        return challenges;
    }

    private AuthChallenge ParseChallenge()
    {
        var scheme = ReadToken() ?? throw Fail("expected an authentication scheme");
        var spaces = SkipSpaces();
        if (AtEnd || Current == ',')
        {
            SkipListSeparators();
            return new AuthChallenge(scheme, null, NoParameters);
        }

        if (spaces == 0)
        {
            throw Fail($"expected a space after scheme '{scheme}'");
        }

        if (TryReadToken68() is { } token68)
        {
            SkipListSeparators();
            return new AuthChallenge(scheme, token68, NoParameters);
        }

        var parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        while (true)
        {
            var name = ReadToken() ?? throw Fail("expected a parameter name");
            SkipSpaces();
            if (AtEnd || Current != '=')
            {
                throw Fail($"expected '=' after parameter '{name}'");
            }

            _position++;
            SkipSpaces();
            var value = !AtEnd && Current == '"'
                ? ReadQuotedString()
                : ReadToken() ?? throw Fail($"expected a value for parameter '{name}'");
            if (!parameters.TryAdd(name, value))
            {
                throw Fail($"parameter '{name}' appears twice");
            }

            SkipSpaces();
            if (AtEnd)
            {
                break;
            }

            if (Current != ',')
            {
                throw Fail($"expected ',' after parameter '{name}'");
            }

            SkipListSeparators();
            if (AtEnd || !NextIsParameter())
            {
                break;
            }
        }

        return new AuthChallenge(scheme, null, parameters);
    }

    private string? TryReadToken68()
    {
        var start = _position;
        var end = start;
        while (end < header.Length && IsToken68Char(header[end]))
        {
            end++;
        }

        if (end == start)
        {
            return null;
        }

        while (end < header.Length && header[end] == '=')
        {
            end++;
        }

        // token68 must stand alone: what follows is the end or the next challenge.
        var after = end;
        while (after < header.Length && header[after] is ' ' or '\t')
        {
            after++;
        }

        if (after < header.Length && header[after] != ',')
        {
            return null;
        }

        _position = after;
        return header[start..end];
    }

    private bool NextIsParameter()
    {
        var probe = _position;
        while (probe < header.Length && IsTokenChar(header[probe]))
        {
            probe++;
        }

        if (probe == _position)
        {
            return false;
        }

        while (probe < header.Length && header[probe] is ' ' or '\t')
        {
            probe++;
        }

        return probe < header.Length && header[probe] == '=';
    }

    private string? ReadToken()
    {
        var start = _position;
        while (!AtEnd && IsTokenChar(Current))
        {
            _position++;
        }

        return _position == start ? null : header[start.._position];
    }

    private string ReadQuotedString()
    {
        var opening = _position;
        _position++;
        var value = new StringBuilder();
        while (true)
        {
            if (AtEnd)
            {
                _position = opening;
                throw Fail("unterminated quoted string");
            }

            var c = Current;
            _position++;
            if (c == '"')
            {
                return value.ToString();
            }

            if (c == '\\')
            {
                if (AtEnd)
                {
                    _position = opening;
                    throw Fail("unterminated quoted string");
                }

                c = Current;
                _position++;
            }

            if (!IsQuotedTextChar(c))
            {
                _position--;
                throw Fail($"control character U+{(int)c:X4} in a quoted string");
            }

            value.Append(c);
        }
    }

    private int SkipSpaces()
    {
        var start = _position;
        while (!AtEnd && Current is ' ' or '\t')
        {
            _position++;
        }

        return _position - start;
    }

    // RFC 7230 lists allow empty elements: ", ,Basic" is legal.
    private void SkipListSeparators()
    {
        while (!AtEnd && Current is ' ' or '\t' or ',')
        {
            _position++;
        }
    }

    private FormatException Fail(string reason)
    {
        var shown = new StringBuilder();
        foreach (var c in header.Length > MaxQuotedLength ? header[..MaxQuotedLength] : header)
        {
            shown.Append(char.IsControl(c) ? '?' : c);
        }

        if (header.Length > MaxQuotedLength)
        {
            shown.Append("...");
        }

        return new FormatException($"Malformed WWW-Authenticate header \"{shown}\": {reason} at position {_position}.");
    }

    private static bool IsTokenChar(char c) =>
        char.IsAsciiLetterOrDigit(c) || c is '!' or '#' or '$' or '%' or '&' or '\'' or '*' or '+' or '-' or '.' or '^' or '_' or '`' or '|' or '~';

    private static bool IsToken68Char(char c) =>
        char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~' or '+' or '/';

    // qdtext and quoted-pair both allow HTAB, SP, visible ASCII and obs-text, never other controls.
    private static bool IsQuotedTextChar(char c) => c == '\t' || (c >= ' ' && c != '\u007f');
}
