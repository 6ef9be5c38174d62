using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace GuestPull.Testing;

/// Writes the compact JWS docker-registry's token auth expects: x5c chain in the header (verified against
/// auth.token.rootcertbundle), aud = service, iss = auth.token.issuer, and an "access" claim listing grants.
internal static class RegistryJwt
{
    public static string Create(
        TokenIssuerCredentials issuer,
        string issuerName,
        string audience,
        string subject,
        IReadOnlyList<TokenScope> access,
        DateTimeOffset now,
        TimeSpan lifetime)
    {
        var header = Json(writer =>
        {
            writer.WriteString("typ", "JWT");
            writer.WriteString("alg", issuer.JwsAlgorithm);
            writer.WriteStartArray("x5c");
            foreach (var certificate in issuer.X5c)
            {
                writer.WriteStringValue(certificate);
            }

            writer.WriteEndArray();
        });

        var issuedAt = now.ToUnixTimeSeconds();
        var claims = Json(writer =>
        {
            writer.WriteString("iss", issuerName);
            writer.WriteString("sub", subject);
            writer.WriteString("aud", audience);
            writer.WriteNumber("exp", issuedAt + (long)lifetime.TotalSeconds);
            writer.WriteNumber("nbf", issuedAt);
            writer.WriteNumber("iat", issuedAt);
            writer.WriteString("jti", Convert.ToHexString(RandomNumberGenerator.GetBytes(16)));
            writer.WriteStartArray("access");
            foreach (var scope in access)
            {
                writer.WriteStartObject();
                writer.WriteString("type", scope.Type);
                writer.WriteString("name", scope.Name);
                writer.WriteStartArray("actions");
                foreach (var action in scope.Actions)
                {
                    writer.WriteStringValue(action);
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        });

        var signingInput = Base64Url.EncodeToString(header) + "." + Base64Url.EncodeToString(claims);
        var signature = issuer.Sign(Encoding.ASCII.GetBytes(signingInput));
        return signingInput + "." + Base64Url.EncodeToString(signature);
    }

    private static byte[] Json(Action<Utf8JsonWriter> writeProperties)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writeProperties(writer);
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }
}
