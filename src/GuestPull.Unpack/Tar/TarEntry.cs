namespace GuestPull.Unpack.Tar;

/// <summary>One file entry with every PAX and GNU override already merged.</summary>
internal sealed class TarEntry
{
    private static readonly KeyValuePair<string, byte[]>[] NoAttributes = [];

    /// <summary>The entry's name as the archive spells it (not yet normalised).</summary>
    public required string Name { get; init; }

    /// <summary>Hard link target (an archive path) or symlink content; empty otherwise.</summary>
    public string LinkName { get; init; } = string.Empty;

    public TarEntryType Type { get; init; }

    /// <summary>Permission bits including setuid, setgid and sticky (07777).</summary>
    public uint Mode { get; init; }

    public uint Uid { get; init; }

    public uint Gid { get; init; }

    /// <summary>Bytes of data that follow (0 for everything but regular files).</summary>
    public long Size { get; init; }

    public long ModificationSeconds { get; init; }

    public uint ModificationNanoseconds { get; init; }

    public uint DeviceMajor { get; init; }

    public uint DeviceMinor { get; init; }

    /// <summary>SCHILY.xattr.* records: names and raw (binary) values, in archive order.</summary>
    public IReadOnlyList<KeyValuePair<string, byte[]>> ExtendedAttributes { get; init; } = NoAttributes;

    /// <summary>Offset of the entry's first header in the uncompressed stream, for messages.</summary>
    public long HeaderOffset { get; init; }
}
