namespace GuestPull.Unpack;

/// <summary>How <see cref="LayerApplier"/> writes a layer and the caps that bound its work.</summary>
public sealed class LayerApplyOptions
{
    /// <summary>Default for <see cref="MaxLayerSize"/>: 64 GiB of uncompressed tar.</summary>
    public const long DefaultMaxLayerSize = 64L * 1024 * 1024 * 1024;

    /// <summary>What whiteouts turn into. Default <see cref="WhiteoutMode.Apply"/>.</summary>
    public WhiteoutMode WhiteoutMode { get; init; } = WhiteoutMode.Apply;

    /// <summary>The most uncompressed bytes (the whole tar stream, trailing data included) a layer may have.</summary>
    public long MaxLayerSize { get; init; } = DefaultMaxLayerSize;

    /// <summary>The most entries a layer may have (whiteouts count; PAX and GNU meta headers do not).</summary>
    public int MaxEntries { get; init; } = 1_000_000;

    /// <summary>The longest entry or link name, in UTF-8 bytes (Linux's PATH_MAX).</summary>
    public int MaxPathLength { get; init; } = 4096;

    /// <summary>The largest PAX extended header (local or global) data, in bytes.</summary>
    public int MaxPaxHeaderSize { get; init; } = 1024 * 1024;

    /// <summary>The most records one PAX header may hold.</summary>
    public int MaxPaxRecords { get; init; } = 4096;

    /// <summary>The most extended attributes one entry may carry.</summary>
    public int MaxExtendedAttributesPerEntry { get; init; } = 256;

    /// <summary>
    /// Read the stream to its end after the tar end marker, so a hashing caller (and
    /// <see cref="LayerApplyResult.DiffId"/>) sees every byte. Default true. When false, the
    /// stream is left somewhere after the end marker: the reader reads ahead in 128 KiB blocks.
    /// </summary>
    public bool DrainTrailingData { get; init; } = true;

    /// <summary>Called for every <see cref="LayerApplyWarning"/>, on the applying thread.</summary>
    public Action<LayerApplyWarning>? Warning { get; init; }

    /// <summary>Resolve paths with the user-space walker instead of openat2 (tests of the fallback).</summary>
    internal bool ForceUserSpaceResolution { get; init; }

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxLayerSize, nameof(MaxLayerSize));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxEntries, nameof(MaxEntries));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPathLength, 256, nameof(MaxPathLength));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPaxHeaderSize, 512, nameof(MaxPaxHeaderSize));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxPaxRecords, nameof(MaxPaxRecords));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxExtendedAttributesPerEntry, nameof(MaxExtendedAttributesPerEntry));
    }
}
