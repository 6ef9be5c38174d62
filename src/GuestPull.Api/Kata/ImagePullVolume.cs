using System.Text.Json.Serialization;

namespace GuestPull.Api.Kata;

/// <summary>The <c>image_pull</c> part of a <see cref="KataVirtualVolume"/>.</summary>
public sealed class ImagePullVolume
{
    /// <summary>Labels and annotations passed to the guest's image service; never null (<c>{}</c> at least).</summary>
    [JsonPropertyName("metadata")]
    public SortedDictionary<string, string> Metadata { get; init; } = new(StringComparer.Ordinal);
}
