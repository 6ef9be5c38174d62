using System.Text.Json.Serialization;

namespace GuestPull.Snapshotter.Mounts;

/// <summary>
/// Kata's virtual volume, the JSON carried base64-encoded in the `io.katacontainers.volume=` mount
/// option. Field names and omission rules are Kata's (Go `omitempty`); only what GuestPull emits is
/// modelled, and <see cref="ImagePull"/> is always written because Kata's Go shim dereferences it.
/// </summary>
internal sealed class KataVirtualVolume
{
    public const string ImageGuestPullType = "image_guest_pull";

    [JsonPropertyName("volume_type")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? VolumeType { get; init; }

    [JsonPropertyName("source")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Source { get; init; }

    [JsonPropertyName("fs_type")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? FsType { get; init; }

    [JsonPropertyName("options")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? Options { get; init; }

    [JsonPropertyName("image_pull")]
    public ImagePullVolume ImagePull { get; init; } = new();
}
