using System.Text;

namespace GuestPull.Testing;

public enum TarMagic
{
    Ustar,
    Gnu,
    V7,
}

/// <summary>Every field of a header block, settable to anything.</summary>
public sealed class TarHeaderSpec
{
    public string Name { get; init; } = "file";

    public byte[]? RawName { get; init; }

    public int Mode { get; init; } = 0x1A4;

    public long Uid { get; init; }

    public long Gid { get; init; }

    public long Size { get; init; }

    public long Mtime { get; init; } = 1_600_000_000;

    public char TypeFlag { get; init; } = '0';

    public string LinkName { get; init; } = string.Empty;

    public string Prefix { get; init; } = string.Empty;

    public TarMagic Magic { get; init; } = TarMagic.Ustar;

    public long DevMajor { get; init; }

    public long DevMinor { get; init; }

    /// <summary>Writes numeric fields (uid, gid, size, mtime) in base-256 instead of octal.</summary>
    public bool Base256 { get; init; }

    /// <summary>Adds this to the correct checksum (non-zero corrupts it).</summary>
    public int ChecksumDelta { get; init; }

    public byte[] Encode()
    {
        var block = new byte[512];
        var name = RawName ?? Encoding.UTF8.GetBytes(Name);
        name.AsSpan(0, Math.Min(100, name.Length)).CopyTo(block);
        Octal(block.AsSpan(100, 8), Mode);
        Numeric(block.AsSpan(108, 8), Uid);
        Numeric(block.AsSpan(116, 8), Gid);
        Numeric(block.AsSpan(124, 12), Size);
        Numeric(block.AsSpan(136, 12), Mtime);
        block[156] = (byte)TypeFlag;
        var link = Encoding.UTF8.GetBytes(LinkName);
        link.AsSpan(0, Math.Min(100, link.Length)).CopyTo(block.AsSpan(157));
        switch (Magic)
        {
            case TarMagic.Ustar:
                "ustar\0"u8.CopyTo(block.AsSpan(257));
                "00"u8.CopyTo(block.AsSpan(263));
                break;
            case TarMagic.Gnu:
                "ustar "u8.CopyTo(block.AsSpan(257));
                " \0"u8.CopyTo(block.AsSpan(263));
                break;
        }

        if (Magic != TarMagic.V7)
        {
            Octal(block.AsSpan(329, 8), DevMajor);
            Octal(block.AsSpan(337, 8), DevMinor);
        }

        if (Magic == TarMagic.Ustar)
        {
            var prefix = Encoding.UTF8.GetBytes(Prefix);
            prefix.CopyTo(block.AsSpan(345));
        }

        "        "u8.CopyTo(block.AsSpan(148));
        var sum = 0;
        foreach (var b in block)
        {
            sum += b;
        }

        sum += ChecksumDelta;
        var checksum = Convert.ToString(sum, 8).PadLeft(6, '0');
        Encoding.ASCII.GetBytes(checksum).CopyTo(block.AsSpan(148));
        block[154] = 0;
        block[155] = (byte)' ';
        return block;
    }

    private void Numeric(Span<byte> field, long value)
    {
        if (!Base256 && value >= 0)
        {
            Octal(field, value);
            return;
        }

        // Big-endian two's complement with the marker bit set.
        for (var i = field.Length - 1; i >= 0; i--)
        {
            field[i] = (byte)value;
            value >>= 8;
        }

        field[0] |= 0x80;
    }

    private static void Octal(Span<byte> field, long value)
    {
        var text = Convert.ToString(value, 8).PadLeft(field.Length - 1, '0');
        Encoding.ASCII.GetBytes(text).CopyTo(field);
        field[^1] = 0;
    }
}
