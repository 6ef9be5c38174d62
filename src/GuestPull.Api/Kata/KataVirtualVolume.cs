using System.Text.Json.Serialization;

namespace GuestPull.Api.Kata;

/// <summary>
/// Kata's virtual volume: the JSON a snapshotter puts, base64-encoded, in the
/// <c>io.katacontainers.volume=</c> option of a rootfs mount, and the runtime reads back to decide
/// how the guest gets the container's root filesystem. Field names and omission rules follow Kata's
/// Go model (<c>omitempty</c>); only what GuestPull writes or reads is modelled. See
/// docs/contracts.md, "Kata virtual volume".
/// </summary>
public sealed class KataVirtualVolume
{
    /// <summary>The volume type that tells the runtime to pull the image inside the guest.</summary>
    public const string ImageGuestPullType = "image_guest_pull";

    /// <summary>The volume type, such as <see cref="ImageGuestPullType"/>.</summary>
    [JsonPropertyName("volume_type")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? VolumeType { get; init; }

    /// <summary>The volume's source, unset for guest pull.</summary>
    [JsonPropertyName("source")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Source { get; init; }

    /// <summary>The file-system type, unset for guest pull.</summary>
    [JsonPropertyName("fs_type")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? FsType { get; init; }

    /// <summary>Mount options, unset for guest pull.</summary>
    [JsonPropertyName("options")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? Options { get; init; }

    /// <summary>The guest-pull part; always written, because Kata's Go runtime dereferences it without a check.</summary>
    [JsonPropertyName("image_pull")]
    public ImagePullVolume ImagePull { get; init; } = new();
}
