using System.Text;

namespace GuestPull.Testing;

/// The start line and header fields of an HTTP/1.1 message, as much of HTTP as <see cref="FaultProxy"/> needs.
internal sealed class HttpHead
{
    public const int MaxSize = 64 * 1024;

    private HttpHead(string startLine, List<KeyValuePair<string, string>> fields)
    {
        StartLine = startLine;
        Fields = fields;
    }

    public string StartLine { get; }

    public List<KeyValuePair<string, string>> Fields { get; }

    public string? this[string name] =>
        Fields.LastOrDefault(f => string.Equals(f.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

    /// Reads up to and including the blank line. Returns null on EOF before any byte; the bytes read past the
    /// head (start of the body) come back in <paramref name="overflow"/>.
    public static async Task<(HttpHead? Head, byte[] Overflow)> ReadAsync(Stream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxSize];
        var filled = 0;
        while (true)
        {
            var end = IndexOfHeadEnd(buffer.AsSpan(0, filled));
            if (end >= 0)
            {
                var head = Parse(Encoding.Latin1.GetString(buffer, 0, end));
                return (head, buffer[(end + 4)..filled]);
            }

            if (filled == buffer.Length)
            {
                throw new InvalidDataException($"HTTP head larger than {MaxSize} bytes.");
            }

            var read = await stream.ReadAsync(buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return filled == 0 ? (null, []) : throw new InvalidDataException("Connection closed in the middle of an HTTP head.");
            }

            filled += read;
        }
    }

    public byte[] ToBytes()
    {
        var text = new StringBuilder(StartLine).Append("\r\n");
        foreach (var (name, value) in Fields)
        {
            text.Append(name).Append(": ").Append(value).Append("\r\n");
        }

        return Encoding.Latin1.GetBytes(text.Append("\r\n").ToString());
    }

    /// The same message with Connection: close instead of any connection-management fields.
    public HttpHead WithConnectionClose()
    {
        var fields = Fields
            .Where(f => !IsHopByHop(f.Key))
            .Append(new KeyValuePair<string, string>("Connection", "close"))
            .ToList();
        return new HttpHead(StartLine, fields);
    }

    private static bool IsHopByHop(string name) =>
        name.Equals("Connection", StringComparison.OrdinalIgnoreCase) ||
        name.Equals("Keep-Alive", StringComparison.OrdinalIgnoreCase) ||
        name.Equals("Proxy-Connection", StringComparison.OrdinalIgnoreCase);

    private static HttpHead Parse(string text)
    {
        var lines = text.Split("\r\n");
        var fields = new List<KeyValuePair<string, string>>();
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                throw new InvalidDataException($"Malformed HTTP header line '{line}'.");
            }

            fields.Add(new(line[..colon].Trim(), line[(colon + 1)..].Trim()));
        }

        return new HttpHead(lines[0], fields);
    }

    private static int IndexOfHeadEnd(ReadOnlySpan<byte> data) => data.IndexOf("\r\n\r\n"u8);
}
