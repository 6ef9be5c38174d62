using System.Text.Json.Serialization;

namespace GuestPull.Snapshotter.Mounts;

/// <summary>The `image_pull` part of a Kata virtual volume; <see cref="Metadata"/> is never null (`{}` at least).</summary>
internal sealed class ImagePullVolume
{
    [JsonPropertyName("metadata")]
    public SortedDictionary<string, string> Metadata { get; init; } = new(StringComparer.Ordinal);
}
