namespace GuestPull.Bench.Pull.Image;

/// One layer of the benchmark image and what it holds.
internal sealed record LayerInfo(string Digest, string MediaType, long CompressedBytes, long UncompressedBytes, string Description);
