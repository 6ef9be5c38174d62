using System.Text;
using System.Text.Json;

namespace GuestPull.Api.Kata;

/// <summary>
/// The <c>io.katacontainers.volume=</c> mount option: standard base64 (with padding) of the volume's
/// JSON. The snapshotter encodes it; the shim decodes it, strictly, because a rootfs it cannot
/// understand must never fall back to a mount on the host.
/// </summary>
public static class KataVolumeOption
{
    /// <summary>The option's prefix, up to and including <c>=</c>.</summary>
    public const string Prefix = "io.katacontainers.volume=";

    /// <summary>The mount option carrying <paramref name="volume"/>.</summary>
    /// <param name="volume">The volume.</param>
    /// <returns><see cref="Prefix"/> followed by the base64 of the volume's JSON.</returns>
    public static string Encode(KataVirtualVolume volume) =>
        Prefix + Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(volume, KataVolumeJsonContext.Default.KataVirtualVolume));

    /// <summary>The volume's JSON, as <see cref="Encode"/> writes it.</summary>
    /// <param name="volume">The volume.</param>
    /// <returns>The JSON text.</returns>
    public static string ToJson(KataVirtualVolume volume) =>
        Encoding.UTF8.GetString(JsonSerializer.SerializeToUtf8Bytes(volume, KataVolumeJsonContext.Default.KataVirtualVolume));

    /// <summary>Decodes the first Kata volume option among a mount's options.</summary>
    /// <param name="options">The mount's options.</param>
    /// <returns>The volume, or null when no option carries one.</returns>
    /// <exception cref="KataVolumeFormatException">The option is there but is not a Kata volume.</exception>
    public static KataVirtualVolume? Find(IEnumerable<string> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        foreach (var option in options)
        {
            if (option.StartsWith(Prefix, StringComparison.Ordinal))
            {
                return Decode(option);
            }
        }

        return null;
    }

    /// <summary>Decodes one option (with its prefix).</summary>
    /// <param name="option">A mount option starting with <see cref="Prefix"/>.</param>
    /// <returns>The volume; a missing <c>volume_type</c> reads as the empty string.</returns>
    /// <exception cref="KataVolumeFormatException">The option is not base64 of a JSON object whose image-pull metadata maps strings to strings.</exception>
    public static KataVirtualVolume Decode(string option)
    {
        ArgumentNullException.ThrowIfNull(option);
        if (!option.StartsWith(Prefix, StringComparison.Ordinal))
        {
            throw new KataVolumeFormatException($"the mount option does not start with {Prefix}");
        }

        byte[] json;
        try
        {
            json = Convert.FromBase64String(option[Prefix.Length..]);
        }
        catch (FormatException ex)
        {
            throw new KataVolumeFormatException($"the rootfs mount option {Prefix}… is not base64: {ex.Message}", ex);
        }

        // Read with JsonDocument rather than the serializer so that every malformed field is named.
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new KataVolumeFormatException($"the Kata volume in the rootfs mount must be a JSON object, got {root.ValueKind}: {Encoding.UTF8.GetString(json)}");
            }

            var metadata = new SortedDictionary<string, string>(StringComparer.Ordinal);
            if (root.TryGetProperty("image_pull", out var imagePull) && imagePull.ValueKind == JsonValueKind.Object
                && imagePull.TryGetProperty("metadata", out var map) && map.ValueKind == JsonValueKind.Object)
            {
                foreach (var entry in map.EnumerateObject())
                {
                    metadata[entry.Name] = entry.Value.ValueKind == JsonValueKind.String
                        ? entry.Value.GetString()!
                        : throw new KataVolumeFormatException($"the Kata volume's image_pull metadata \"{entry.Name}\" must be a string, got {entry.Value.ValueKind}");
                }
            }

            return new KataVirtualVolume
            {
                VolumeType = StringProperty(root, "volume_type") ?? string.Empty,
                Source = StringProperty(root, "source"),
                FsType = StringProperty(root, "fs_type"),
                Options = root.TryGetProperty("options", out var options) && options.ValueKind == JsonValueKind.Array
                    ? [.. options.EnumerateArray().Where(o => o.ValueKind == JsonValueKind.String).Select(o => o.GetString()!)]
                    : null,
                ImagePull = new ImagePullVolume { Metadata = metadata },
            };
        }
        catch (JsonException ex)
        {
            throw new KataVolumeFormatException($"the Kata volume in the rootfs mount is not valid JSON: {ex.Message}", ex);
        }
        catch (InvalidOperationException ex)
        {
            // JsonDocument accepts a string that is not UTF-8 (or escapes an unpaired surrogate) and
            // throws this only when it is read; everything read above is a key or a string of the volume.
            throw new KataVolumeFormatException($"the Kata volume in the rootfs mount has a string that is not valid UTF-8: {ex.Message}", ex);
        }
    }

    private static string? StringProperty(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
