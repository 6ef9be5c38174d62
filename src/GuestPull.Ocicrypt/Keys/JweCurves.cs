using System.Security.Cryptography;

namespace GuestPull.Ocicrypt.Keys;

/// <summary>The NIST curves JOSE names (<c>crv</c>) mapped to .NET's.</summary>
public static class JweCurves
{
    /// <summary>The curve named <paramref name="crv"/>; throws <see cref="FormatException"/> for others.</summary>
    public static ECCurve FromName(string? crv) => crv switch
    {
        "P-256" => ECCurve.NamedCurves.nistP256,
        "P-384" => ECCurve.NamedCurves.nistP384,
        "P-521" => ECCurve.NamedCurves.nistP521,
        _ => throw new FormatException($"the EC curve '{crv ?? "(none)"}' is not supported (P-256, P-384, P-521)"),
    };

    /// <summary>The JOSE name of <paramref name="curve"/>, or null when it is not one of the three.</summary>
    public static string? Name(ECCurve curve) => curve.Oid?.Value switch
    {
        "1.2.840.10045.3.1.7" => "P-256",
        "1.3.132.0.34" => "P-384",
        "1.3.132.0.35" => "P-521",
        _ => curve.Oid?.FriendlyName switch
        {
            "nistP256" or "ECDSA_P256" => "P-256",
            "nistP384" or "ECDSA_P384" => "P-384",
            "nistP521" or "ECDSA_P521" => "P-521",
            _ => null,
        },
    };
}
