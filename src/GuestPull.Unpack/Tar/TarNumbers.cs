using System.Text;

namespace GuestPull.Unpack.Tar;

/// <summary>Decoding of tar's numeric and text fields, failing loudly on anything ambiguous.</summary>
internal static class TarNumbers
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// A numeric header field: octal text padded with spaces or NULs, or (GNU/star) base-256 when
    /// the first byte's high bit is set, two's complement when its next bit is set too.
    /// </summary>
    public static long ParseNumeric(ReadOnlySpan<byte> field, string fieldName, long offset)
    {
        if (field.Length > 0 && (field[0] & 0x80) != 0)
        {
            var invert = (field[0] & 0x40) != 0 ? (byte)0xff : (byte)0;
            ulong value = 0;
            for (var i = 0; i < field.Length; i++)
            {
                var b = (byte)(field[i] ^ invert);
                if (i == 0)
                {
                    b &= 0x7f;
                }

                if ((value >> 56) != 0)
                {
                    throw Invalid(offset, $"base-256 {fieldName} field overflows 64 bits");
                }

                value = (value << 8) | b;
            }

            if ((value >> 63) != 0)
            {
                throw Invalid(offset, $"base-256 {fieldName} field overflows 64 bits");
            }

            return invert == 0xff ? ~(long)value : (long)value;
        }

        return ParseOctal(field, fieldName, offset);
    }

    public static long ParseOctal(ReadOnlySpan<byte> field, string fieldName, long offset)
    {
        // Unused fields are NUL-filled and numbers may be padded with spaces or NULs on either side.
        var text = field.Trim((ReadOnlySpan<byte>)[(byte)' ', 0]);
        long value = 0;
        foreach (var c in text)
        {
            if (c is < (byte)'0' or > (byte)'7')
            {
                throw Invalid(offset, $"{fieldName} field is not an octal number");
            }

            if (value > (long.MaxValue >> 3))
            {
                throw Invalid(offset, $"{fieldName} field overflows 64 bits");
            }

            value = (value << 3) | (long)(c - '0');
        }

        return value;
    }

    /// <summary>A PAX decimal value: digits only, no sign, no spaces.</summary>
    public static long ParseDecimal(ReadOnlySpan<byte> text, string key, long offset)
    {
        if (text.IsEmpty)
        {
            throw Invalid(offset, $"PAX record '{key}' is empty");
        }

        long value = 0;
        foreach (var c in text)
        {
            if (c is < (byte)'0' or > (byte)'9')
            {
                throw Invalid(offset, $"PAX record '{key}' is not a decimal number");
            }

            if (value > (long.MaxValue - 9) / 10)
            {
                throw Invalid(offset, $"PAX record '{key}' overflows 64 bits");
            }

            value = (value * 10) + (c - '0');
        }

        return value;
    }

    /// <summary>A PAX time: optional '-', decimal seconds, optional '.' and fraction (kept to nanoseconds).</summary>
    public static (long Seconds, uint Nanoseconds) ParsePaxTime(ReadOnlySpan<byte> text, string key, long offset)
    {
        var negative = !text.IsEmpty && text[0] == (byte)'-';
        if (negative)
        {
            text = text[1..];
        }

        var dot = text.IndexOf((byte)'.');
        var whole = dot < 0 ? text : text[..dot];
        var seconds = ParseDecimal(whole, key, offset);
        long nanoseconds = 0;
        if (dot >= 0)
        {
            var fraction = text[(dot + 1)..];
            if (fraction.IsEmpty)
            {
                throw Invalid(offset, $"PAX record '{key}' has an empty fraction");
            }

            for (var i = 0; i < fraction.Length; i++)
            {
                var c = fraction[i];
                if (c is < (byte)'0' or > (byte)'9')
                {
                    throw Invalid(offset, $"PAX record '{key}' is not a decimal time");
                }

                if (i < 9)
                {
                    nanoseconds = (nanoseconds * 10) + (c - '0');
                }
            }

            for (var i = fraction.Length; i < 9; i++)
            {
                nanoseconds *= 10;
            }
        }

        if (!negative)
        {
            return (seconds, (uint)nanoseconds);
        }

        // -1.25 is 1.25 s before the epoch: -2 s + 0.75 s.
        return nanoseconds == 0 ? (-seconds, 0) : (-seconds - 1, (uint)(1_000_000_000 - nanoseconds));
    }

    /// <summary>A text field: the bytes before the first NUL, which must be valid UTF-8.</summary>
    public static string ParseString(ReadOnlySpan<byte> field, string what, long offset)
    {
        var end = field.IndexOf((byte)0);
        return DecodeUtf8(end < 0 ? field : field[..end], what, offset);
    }

    public static string DecodeUtf8(ReadOnlySpan<byte> bytes, string what, long offset)
    {
        if (bytes.IsEmpty)
        {
            return string.Empty;
        }

        if (bytes.IndexOf((byte)0) >= 0)
        {
            throw Invalid(offset, $"{what} contains a NUL byte");
        }

        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw Invalid(offset, $"{what} is not valid UTF-8");
        }
    }

    public static InvalidLayerException Invalid(long offset, string problem)
        => new($"tar: {problem} (header at offset {offset})");
}
