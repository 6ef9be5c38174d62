namespace GuestPull.Unpack.Tar;

/// <summary>The fields of one 512-byte header block (ustar, GNU or V7), checksum verified.</summary>
internal readonly struct UstarHeader
{
    public const int BlockSize = 512;

    public required string Name { get; init; }

    public required string LinkName { get; init; }

    public required byte TypeFlag { get; init; }

    public required long Mode { get; init; }

    public required long Uid { get; init; }

    public required long Gid { get; init; }

    public required long Size { get; init; }

    public required long ModificationTime { get; init; }

    public required long DeviceMajor { get; init; }

    public required long DeviceMinor { get; init; }

    public static bool IsZeroBlock(ReadOnlySpan<byte> block) => !block[..BlockSize].ContainsAnyExcept((byte)0);

    public static byte ReadTypeFlag(ReadOnlySpan<byte> block) => block[156];

    /// <summary>
    /// Parses a block. Names are decoded only when asked for: when a PAX or GNU header overrides
    /// them, the block's copy may be a truncated (even mid-character) rendering that must not fail.
    /// </summary>
    public static UstarHeader Parse(ReadOnlySpan<byte> block, long offset, bool decodeName, bool decodeLinkName)
    {
        block = block[..BlockSize];
        VerifyChecksum(block, offset);

        var magic = block.Slice(257, 6);
        var version = block.Slice(263, 2);
        var isUstar = magic.SequenceEqual("ustar\0"u8);
        var isGnu = magic.SequenceEqual("ustar "u8) && version.SequenceEqual(" \0"u8);
        var typeFlag = block[156];

        var name = decodeName ? TarNumbers.ParseString(block[..100], "entry name", offset) : string.Empty;
        if (decodeName && isUstar)
        {
            // POSIX ustar splits long names into prefix "/" name; GNU uses those bytes for other things.
            var prefix = TarNumbers.ParseString(block.Slice(345, 155), "entry name prefix", offset);
            if (prefix.Length > 0)
            {
                name = prefix + "/" + name;
            }
        }

        var hasDevices = isUstar || isGnu;
        return new UstarHeader
        {
            Name = name,
            LinkName = decodeLinkName ? TarNumbers.ParseString(block.Slice(157, 100), "link name", offset) : string.Empty,
            TypeFlag = typeFlag,
            Mode = TarNumbers.ParseNumeric(block.Slice(100, 8), "mode", offset),
            Uid = TarNumbers.ParseNumeric(block.Slice(108, 8), "uid", offset),
            Gid = TarNumbers.ParseNumeric(block.Slice(116, 8), "gid", offset),
            Size = TarNumbers.ParseNumeric(block.Slice(124, 12), "size", offset),
            ModificationTime = TarNumbers.ParseNumeric(block.Slice(136, 12), "mtime", offset),
            DeviceMajor = hasDevices ? TarNumbers.ParseNumeric(block.Slice(329, 8), "devmajor", offset) : 0,
            DeviceMinor = hasDevices ? TarNumbers.ParseNumeric(block.Slice(337, 8), "devminor", offset) : 0,
        };
    }

    private static void VerifyChecksum(ReadOnlySpan<byte> block, long offset)
    {
        var recorded = TarNumbers.ParseOctal(block.Slice(148, 8), "checksum", offset);
        // The checksum field counts as eight spaces. Historic writers summed signed bytes; accept both.
        long unsignedSum = 8 * ' ';
        long signedSum = 8 * ' ';
        for (var i = 0; i < BlockSize; i++)
        {
            if (i is >= 148 and < 156)
            {
                continue;
            }

            unsignedSum += block[i];
            signedSum += (sbyte)block[i];
        }

        if (recorded != unsignedSum && recorded != signedSum)
        {
            throw TarNumbers.Invalid(offset, $"header checksum mismatch (recorded {recorded}, computed {unsignedSum})");
        }
    }
}
