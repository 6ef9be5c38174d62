using System.Text;
using GuestPull.Oci.Registry.Auth;

namespace GuestPull.Fuzz.Targets;

/// <summary>
/// <see cref="AuthChallenge.Parse"/> on a WWW-Authenticate value (the input as UTF-8), then the
/// parameters the token client reads. Rejection: <see cref="FormatException"/>.
/// </summary>
internal static class AuthChallengeTarget
{
    public static void Run(byte[] input) => Rejection.Expect<FormatException>(() =>
    {
        foreach (var challenge in AuthChallenge.Parse(Encoding.UTF8.GetString(input)))
        {
            _ = challenge.IsScheme("Bearer");
            _ = challenge.Realm;
            _ = challenge.Service;
            _ = challenge.Scope;
        }
    });
}
