using System.Text;
using System.Text.Json;

namespace GuestPull.Shim.Rootfs;

/// <summary>
/// The Kata virtual volume a rootfs mount carries in its <c>io.katacontainers.volume=</c> option
/// (base64 of JSON; docs/contracts.md, section 4). Only what the shim uses is read.
/// </summary>
internal sealed record KataVolume(string VolumeType, IReadOnlyDictionary<string, string> Metadata)
{
    public const string OptionPrefix = "io.katacontainers.volume=";
    public const string ImageGuestPull = "image_guest_pull";

    public static KataVolume? FromOptions(IEnumerable<string> options)
    {
        foreach (var option in options)
        {
            if (option.StartsWith(OptionPrefix, StringComparison.Ordinal))
            {
                return Decode(option[OptionPrefix.Length..]);
            }
        }

        return null;
    }

    public static KataVolume Decode(string base64)
    {
        byte[] json;
        try
        {
            json = Convert.FromBase64String(base64);
        }
        catch (FormatException ex)
        {
            throw new ShimException($"the rootfs mount option {OptionPrefix}… is not base64: {ex.Message}", ex);
        }

        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new ShimException($"the Kata volume in the rootfs mount must be a JSON object, got {root.ValueKind}: {Encoding.UTF8.GetString(json)}");
            }

            var type = root.TryGetProperty("volume_type", out var volumeType) && volumeType.ValueKind == JsonValueKind.String ? volumeType.GetString()! : string.Empty;
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            if (root.TryGetProperty("image_pull", out var imagePull) && imagePull.ValueKind == JsonValueKind.Object
                && imagePull.TryGetProperty("metadata", out var map) && map.ValueKind == JsonValueKind.Object)
            {
                foreach (var entry in map.EnumerateObject())
                {
                    metadata[entry.Name] = entry.Value.ValueKind == JsonValueKind.String
                        ? entry.Value.GetString()!
                        : throw new ShimException($"the Kata volume's image_pull metadata \"{entry.Name}\" must be a string, got {entry.Value.ValueKind}");
                }
            }

            return new KataVolume(type, metadata);
        }
        catch (JsonException ex)
        {
            throw new ShimException($"the Kata volume in the rootfs mount is not valid JSON: {ex.Message}", ex);
        }
    }
}
