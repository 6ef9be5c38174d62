using System.Text;
using System.Text.Json;

namespace GuestPull.Snapshotter.Mounts;

/// <summary>Encodes a <see cref="KataVirtualVolume"/> as the `io.katacontainers.volume=` option (standard base64 with padding).</summary>
internal static class KataVolumeCodec
{
    public const string OptionPrefix = "io.katacontainers.volume=";

    public static string ToMountOption(KataVirtualVolume volume) =>
        OptionPrefix + Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(volume, KataVolumeJsonContext.Default.KataVirtualVolume));

    /// <summary>Decodes an option produced by <see cref="ToMountOption"/> (used by tests and diagnostics).</summary>
    public static KataVirtualVolume FromMountOption(string option)
    {
        if (!option.StartsWith(OptionPrefix, StringComparison.Ordinal))
        {
            throw new FormatException($"mount option does not start with '{OptionPrefix}'");
        }
        var json = Convert.FromBase64String(option[OptionPrefix.Length..]);
        return JsonSerializer.Deserialize(json, KataVolumeJsonContext.Default.KataVirtualVolume)
            ?? throw new FormatException("the Kata volume JSON is null");
    }

    public static string ToJson(KataVirtualVolume volume) =>
        Encoding.UTF8.GetString(JsonSerializer.SerializeToUtf8Bytes(volume, KataVolumeJsonContext.Default.KataVirtualVolume));
}
