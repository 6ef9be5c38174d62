namespace GuestPull.Images.Pull;

/// <summary>Settings of an <see cref="ImagePuller"/>.</summary>
public sealed record ImagePullOptions
{
    /// <summary>How many layers are downloaded and unpacked at once.</summary>
    public int MaxConcurrentLayers { get; init; } = 3;

    /// <summary>The largest uncompressed layer accepted (stops decompression bombs).</summary>
    public long MaxLayerSize { get; init; } = Unpack.LayerApplyOptions.DefaultMaxLayerSize;
}
