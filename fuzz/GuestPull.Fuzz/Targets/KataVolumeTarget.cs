using System.Text;
using GuestPull.Api.Kata;

namespace GuestPull.Fuzz.Targets;

/// <summary>
/// The shim's decoder of the snapshotter's <c>io.katacontainers.volume=</c> option, twice per input:
/// the input as the volume's JSON (encoded as the snapshotter would, so mutations reach the JSON) and
/// the input as the option's text after the prefix (so they reach the base64 decoding). Rejection:
/// <see cref="KataVolumeFormatException"/>.
/// </summary>
internal static class KataVolumeTarget
{
    public static void Run(byte[] input)
    {
        Decode(KataVolumeOption.Prefix + Convert.ToBase64String(input));
        Decode(KataVolumeOption.Prefix + Encoding.UTF8.GetString(input));
    }

    private static void Decode(string option) => Rejection.Expect<KataVolumeFormatException>(() =>
    {
        var volume = KataVolumeOption.Find(["rw", option]);
        if (volume is not null)
        {
            // What the snapshotter writes must read back: encoding a decoded volume must not fail.
            _ = KataVolumeOption.Encode(volume);
        }
    });
}
