using System.Text;
using GuestPull.Shim;
using GuestPull.Shim.Configuration;

namespace GuestPull.Fuzz.Targets;

/// <summary>
/// The shim's config parser on a TOML text, its <c>[agent]</c> table re-rendered for the agent as the
/// shim does. Rejection: <see cref="ShimException"/>.
/// </summary>
internal static class ShimTomlTarget
{
    public static void Run(byte[] input) =>
        Rejection.Expect<ShimException>(() => ShimConfigParser.Parse(Encoding.UTF8.GetString(input), "shim.toml"));
}
