using GuestPull.Oci.Model;

namespace GuestPull.Fuzz.Targets;

/// <summary><see cref="ImageConfig.Parse"/> on an image config. Rejection: <see cref="OciFormatException"/>.</summary>
internal static class OciConfigTarget
{
    public static void Run(byte[] input) =>
        Rejection.Expect<OciFormatException>(() => ImageConfig.Parse(input));
}
