namespace GuestPull.Bench.Snapshotter.Pull;

/// The image pulled through containerd: one tag of an OCI layout, where it came from, and its weight.
internal sealed record BenchImage(
    string LayoutDirectory,
    string Tag,
    string Source,
    IReadOnlyList<string> LayerDigests,
    long CompressedBytes,
    long UncompressedBytes);
