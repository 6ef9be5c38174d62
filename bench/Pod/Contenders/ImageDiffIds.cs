using System.Text.Json.Nodes;
using GuestPull.Bench.Common.Image;
using GuestPull.Testing;

namespace GuestPull.Bench.Pod.Contenders;

/// The DiffIDs (SHA-256 of each uncompressed tar stream) of the benchmark image, from its config in the
/// cached layout: what the in-guest bound's `gzip -dc | sha256sum` must print, so the bound is only
/// counted when it did the whole work.
internal static class ImageDiffIds
{
    public static IReadOnlyList<string> Read(BenchImage image)
    {
        var manifest = JsonNode.Parse(ImageBuilder.ReadBlob(image.LayoutDirectory, ImageBuilder.GetDigest(image.LayoutDirectory, image.Tag)))!;
        var config = JsonNode.Parse(ImageBuilder.ReadBlob(image.LayoutDirectory, (string)manifest["config"]!["digest"]!))!;
        var diffIds = config["rootfs"]!["diff_ids"]!.AsArray().Select(d => (string)d!).ToList();
        return diffIds.Count == image.Layers.Count
            ? diffIds
            : throw new InvalidOperationException($"the image config lists {diffIds.Count} diff_ids for {image.Layers.Count} layers");
    }
}
