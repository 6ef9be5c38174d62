namespace GuestPull.Bench.Common.Image;

/// <summary>The cached benchmark image: an OCI layout with one tag, and what its layers weigh.</summary>
/// <param name="LayoutDirectory">The OCI layout holding the image.</param>
/// <param name="Tag">The image's tag in the layout.</param>
/// <param name="Layers">The layers, base first.</param>
public sealed record BenchImage(string LayoutDirectory, string Tag, IReadOnlyList<LayerInfo> Layers)
{
    /// <summary>What the layers weigh as stored in the registry.</summary>
    public long CompressedBytes => Layers.Sum(l => l.CompressedBytes);

    /// <summary>What the layers weigh as tar streams.</summary>
    public long UncompressedBytes => Layers.Sum(l => l.UncompressedBytes);
}
