using System.Globalization;

namespace GuestPull.Cache.Distribution;

/// <summary>
/// One byte range of a <c>Range: bytes=…</c> header, resolved against the blob's size. Only single
/// ranges are honoured (blob clients resume with one); a header with several, or one this parser
/// does not understand, is ignored and the whole blob served, as RFC 9110 allows.
/// </summary>
/// <param name="Start">The first byte.</param>
/// <param name="Length">How many bytes.</param>
internal readonly record struct ByteRange(long Start, long Length)
{
    /// <summary>The last byte, inclusive, as Content-Range writes it.</summary>
    public long End => Start + Length - 1;

    /// <summary>Parses <paramref name="header"/> for a blob of <paramref name="size"/> bytes.</summary>
    /// <returns>
    /// <see cref="RangeRequest.Whole"/> without a (usable) header, <see cref="RangeRequest.Partial"/>
    /// with the range, or <see cref="RangeRequest.Unsatisfiable"/> when it starts past the end.
    /// </returns>
    public static (RangeRequest Kind, ByteRange Range) Parse(string? header, long size)
    {
        var whole = (RangeRequest.Whole, new ByteRange(0, size));
        if (string.IsNullOrWhiteSpace(header))
        {
            return whole;
        }

        var text = header.Trim();
        if (!text.StartsWith("bytes=", StringComparison.OrdinalIgnoreCase) || text.Contains(',', StringComparison.Ordinal))
        {
            return whole;
        }

        var spec = text["bytes=".Length..].Trim();
        var dash = spec.IndexOf('-', StringComparison.Ordinal);
        if (dash < 0)
        {
            return whole;
        }

        var first = spec[..dash].Trim();
        var last = spec[(dash + 1)..].Trim();
        if (first.Length == 0)
        {
            // bytes=-N: the last N bytes.
            if (!TryParse(last, out var suffix) || suffix == 0)
            {
                return suffix == 0 && last.Length > 0 ? (RangeRequest.Unsatisfiable, default) : whole;
            }

            var length = Math.Min(suffix, size);
            return length == 0 ? (RangeRequest.Unsatisfiable, default) : (RangeRequest.Partial, new ByteRange(size - length, length));
        }

        if (!TryParse(first, out var start))
        {
            return whole;
        }

        long end;
        if (last.Length == 0)
        {
            end = size - 1;
        }
        else if (!TryParse(last, out end) || end < start)
        {
            return whole;
        }

        if (start >= size)
        {
            return (RangeRequest.Unsatisfiable, default);
        }

        end = Math.Min(end, size - 1);
        return (RangeRequest.Partial, new ByteRange(start, end - start + 1));
    }

    private static bool TryParse(string text, out long value) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
}
