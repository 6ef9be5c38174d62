using GuestPull.Images.Signatures;

namespace GuestPull.Fuzz.Targets;

/// <summary>
/// <see cref="SignaturePolicy.Parse"/> on a policy.json, with relative key paths resolved in an empty
/// directory. Rejection: <see cref="PolicyFormatException"/>.
/// </summary>
internal static class PolicyJsonTarget
{
    private static readonly string KeyDirectory = FuzzTemp.CreateDirectory("policy-");

    public static void Run(byte[] input) =>
        Rejection.Expect<PolicyFormatException>(() => SignaturePolicy.Parse(input, "policy.json", KeyDirectory));
}
