using GuestPull.Images.Signatures;

namespace GuestPull.Fuzz.Targets;

/// <summary>
/// <see cref="SignaturePolicy.Parse"/> on a policy.json, with relative key paths resolved in an empty
/// directory. Rejection: <see cref="PolicyFormatException"/>.
/// </summary>
internal static class PolicyJsonTarget
{
    private static readonly string KeyDirectory = FuzzTemp.CreateDirectory("policy-");

    public static void Run(byte[] input)
    {
        try
        {
            SignaturePolicy.Parse(input, "policy.json", KeyDirectory);
        }
        catch (PolicyFormatException ex)
        {
            Rejection.Note(ex);
            // Documented rejection.
        }
    }
}
