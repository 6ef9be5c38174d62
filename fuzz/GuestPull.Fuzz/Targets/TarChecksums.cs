namespace GuestPull.Fuzz.Targets;

/// <summary>
/// Rewrites the checksum of every header block in a fuzzed tar, so that mutations of header fields
/// reach the code behind the checksum check instead of all stopping at it (afl cannot solve a sum).
/// The walk is deliberately rough (octal sizes only, no validation): whatever it gets wrong, the
/// reader under test still sees an arbitrary byte string.
/// </summary>
internal static class TarChecksums
{
    private const int Block = 512;
    private const int ChecksumOffset = 148;
    private const int ChecksumLength = 8;
    private const int SizeOffset = 124;
    private const int SizeLength = 12;

    public static byte[] Fix(byte[] input)
    {
        var tar = (byte[])input.Clone();
        var offset = 0L;
        while (offset + Block <= tar.Length)
        {
            var header = tar.AsSpan((int)offset, Block);
            if (!header.ContainsAnyExcept((byte)0))
            {
                break;
            }

            WriteChecksum(header);
            var size = OctalOrZero(header.Slice(SizeOffset, SizeLength));
            offset += Block + ((size + Block - 1) / Block * Block);
        }

        return tar;
    }

    private static void WriteChecksum(Span<byte> header)
    {
        header.Slice(ChecksumOffset, ChecksumLength).Fill((byte)' ');
        var sum = 0;
        foreach (var b in header)
        {
            sum += b;
        }

        // Six octal digits, NUL, space: the form GNU tar writes.
        var text = Convert.ToString(sum, 8).PadLeft(6, '0');
        for (var i = 0; i < 6; i++)
        {
            header[ChecksumOffset + i] = (byte)text[i];
        }

        header[ChecksumOffset + 6] = 0;
        header[ChecksumOffset + 7] = (byte)' ';
    }

    private static long OctalOrZero(ReadOnlySpan<byte> field)
    {
        long value = 0;
        foreach (var b in field)
        {
            if (b is >= (byte)'0' and <= (byte)'7')
            {
                value = (value * 8) + (b - '0');
                if (value > int.MaxValue)
                {
                    return 0;
                }
            }
            else if (value > 0 || b is not ((byte)' ' or 0))
            {
                break;
            }
        }

        return value;
    }
}
