using System.Security.Cryptography;
using System.Text.Json;

namespace GuestPull.Ocicrypt.Keys;

/// <summary>A private JSON Web Key (RFC 7517/7518): <c>kty</c> RSA (n, e, d, p, q, dp, dq, qi) or EC (crv, x, y, d).</summary>
internal static class JwkKey
{
    public static DecryptionKey Parse(string source, string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException("the JWK is not a JSON object");
        }

        var kty = String(root, "kty");
        switch (kty)
        {
            case "RSA":
                var parameters = new RSAParameters
                {
                    Modulus = Bytes(root, "n"),
                    Exponent = Bytes(root, "e"),
                    D = Bytes(root, "d"),
                    P = Bytes(root, "p"),
                    Q = Bytes(root, "q"),
                    DP = Bytes(root, "dp"),
                    DQ = Bytes(root, "dq"),
                    InverseQ = Bytes(root, "qi"),
                };
                var rsa = RSA.Create();
                try
                {
                    rsa.ImportParameters(parameters);
                    return DecryptionKey.FromRsa(source, rsa);
                }
                catch
                {
                    rsa.Dispose();
                    throw;
                }

            case "EC":
                var ecParameters = new ECParameters
                {
                    Curve = JweCurves.FromName(String(root, "crv")),
                    Q = new ECPoint { X = Bytes(root, "x"), Y = Bytes(root, "y") },
                    D = Bytes(root, "d"),
                };
                return DecryptionKey.FromEc(source, ECDiffieHellman.Create(ecParameters));

            default:
                throw new FormatException($"the JWK's key type '{kty}' is not RSA or EC");
        }
    }

    private static string String(JsonElement root, string name)
        => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : throw new FormatException($"the JWK has no '{name}' (a private key is needed)");

    private static byte[] Bytes(JsonElement root, string name)
        => System.Buffers.Text.Base64Url.DecodeFromChars(String(root, name));
}
