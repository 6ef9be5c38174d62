namespace GuestPull.Unpack.Tar;

/// <summary>Caps that keep the reader's memory and work bounded whatever the archive says.</summary>
internal sealed class TarReaderLimits
{
    public long MaxArchiveSize { get; init; } = LayerApplyOptions.DefaultMaxLayerSize;

    public int MaxEntries { get; init; } = 1_000_000;

    public int MaxPathLength { get; init; } = 4096;

    public int MaxPaxHeaderSize { get; init; } = 1024 * 1024;

    public int MaxPaxRecords { get; init; } = 4096;

    public int MaxExtendedAttributes { get; init; } = 256;

    /// <summary>GNU long name/link data: a path plus its NUL, with room for generous padding.</summary>
    public int MaxLongNameSize => MaxPathLength + 512;

    public static TarReaderLimits From(LayerApplyOptions options) => new()
    {
        MaxArchiveSize = options.MaxLayerSize,
        MaxEntries = options.MaxEntries,
        MaxPathLength = options.MaxPathLength,
        MaxPaxHeaderSize = options.MaxPaxHeaderSize,
        MaxPaxRecords = options.MaxPaxRecords,
        MaxExtendedAttributes = options.MaxExtendedAttributesPerEntry,
    };
}
