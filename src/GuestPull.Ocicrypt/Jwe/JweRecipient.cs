using System.Text.Json;

namespace GuestPull.Ocicrypt.Jwe;

/// <summary>One recipient of a JWE: its key management parameters (headers merged) and its encrypted key.</summary>
/// <param name="Algorithm">The key management algorithm (<c>alg</c>), e.g. <c>RSA-OAEP</c> or <c>ECDH-ES+A256KW</c>.</param>
/// <param name="EncryptedKey">The encrypted content key (empty for direct key agreement).</param>
/// <param name="Parameters">The recipient's header merged over the shared ones (<c>epk</c>, <c>apu</c>, <c>apv</c>, <c>kid</c>).</param>
public sealed record JweRecipient(string Algorithm, byte[] EncryptedKey, IReadOnlyDictionary<string, JsonElement> Parameters)
{
    /// <summary>The curve of the ephemeral key for ECDH recipients, e.g. <c>P-256</c>.</summary>
    public string? Curve => Parameters.TryGetValue("epk", out var epk) && epk.ValueKind == JsonValueKind.Object
        && epk.TryGetProperty("crv", out var crv) && crv.ValueKind == JsonValueKind.String ? crv.GetString() : null;

    /// <summary>The key id (<c>kid</c>), when the sender set one.</summary>
    public string? KeyId => Parameters.TryGetValue("kid", out var kid) && kid.ValueKind == JsonValueKind.String ? kid.GetString() : null;

    /// <summary>How the recipient reads in messages: algorithm, curve and key id when known.</summary>
    public override string ToString()
        => Algorithm + (Curve is { } c ? " " + c : string.Empty) + (KeyId is { } k ? $" (kid {k})" : string.Empty);
}
