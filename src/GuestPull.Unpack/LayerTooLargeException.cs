namespace GuestPull.Unpack;

/// <summary>A layer's uncompressed stream grew past <see cref="LayerApplyOptions.MaxLayerSize"/> (a decompression bomb, or a layer too big for its store).</summary>
public sealed class LayerTooLargeException : LayerLimitExceededException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="maxLayerSize">The bound that was exceeded, in bytes.</param>
    public LayerTooLargeException(long maxLayerSize)
        : base($"layer exceeds the maximum uncompressed size of {maxLayerSize} bytes")
    {
        MaxLayerSize = maxLayerSize;
    }

    /// <summary>The bound that was exceeded, in bytes.</summary>
    public long MaxLayerSize { get; }
}
