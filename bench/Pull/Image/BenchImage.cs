namespace GuestPull.Bench.Pull.Image;

/// The cached benchmark image: an OCI layout with one tag, and what its layers weigh.
internal sealed record BenchImage(string LayoutDirectory, string Tag, IReadOnlyList<LayerInfo> Layers)
{
    public long CompressedBytes => Layers.Sum(l => l.CompressedBytes);

    public long UncompressedBytes => Layers.Sum(l => l.UncompressedBytes);
}
