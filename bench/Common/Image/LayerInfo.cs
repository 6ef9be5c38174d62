namespace GuestPull.Bench.Common.Image;

/// <summary>One layer of the benchmark image and what it holds.</summary>
/// <param name="Digest">The compressed blob's digest.</param>
/// <param name="MediaType">The layer's media type.</param>
/// <param name="CompressedBytes">The blob's size.</param>
/// <param name="UncompressedBytes">The tar stream's size.</param>
/// <param name="Description">How the layer was made.</param>
public sealed record LayerInfo(string Digest, string MediaType, long CompressedBytes, long UncompressedBytes, string Description);
