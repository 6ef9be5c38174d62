using System.Text.Json;
using GuestPull.Oci.Model;

namespace GuestPull.Ocicrypt.Cipher;

/// <summary>
/// What decrypting one layer takes: ocicrypt's private options (the symmetric key, the nonce and the
/// digest of the plaintext blob, unwrapped from a recipient's annotation) joined with its public options
/// (the cipher name and the HMAC of the ciphertext, from <c>org.opencontainers.image.enc.pubopts</c>).
/// </summary>
public sealed class LayerCipherOptions
{
    /// <summary>The only cipher ocicrypt defines.</summary>
    public const string AesCtrHmacSha256 = "AES_256_CTR_HMAC_SHA256";

    private LayerCipherOptions(byte[] key, byte[] nonce, byte[] hmac, Digest? plainDigest)
    {
        SymmetricKey = key;
        Nonce = nonce;
        ExpectedHmac = hmac;
        PlainDigest = plainDigest;
    }

    /// <summary>The AES-256 key (also the HMAC key).</summary>
    public byte[] SymmetricKey { get; }

    /// <summary>The initial 128-bit counter block.</summary>
    public byte[] Nonce { get; }

    /// <summary>The HMAC-SHA256 of the whole ciphertext, from the public options.</summary>
    public byte[] ExpectedHmac { get; }

    /// <summary>
    /// The digest the encrypting tool's caller claimed for the plaintext blob, when the private options carry
    /// one: a hint, not checked (containers/image records the source blob's even after recompressing).
    /// </summary>
    public Digest? PlainDigest { get; }

    /// <summary>
    /// A value that identifies the key and nonce without revealing them (an HMAC under the key), which
    /// the layer store keeps to recognise a later pull that holds the same layer key.
    /// </summary>
    public string KeyCheck
    {
        get
        {
            var label = "guestpull ocicrypt layer key check\0"u8;
            var message = new byte[label.Length + Nonce.Length];
            label.CopyTo(message);
            Nonce.CopyTo(message, label.Length);
            return Convert.ToHexStringLower(System.Security.Cryptography.HMACSHA256.HashData(SymmetricKey, message));
        }
    }

    /// <summary>Parses the two JSON documents; throws <see cref="LayerDecryptionException"/> naming what is wrong.</summary>
    /// <param name="privateOptions">The unwrapped private options.</param>
    /// <param name="publicOptions">The decoded public options.</param>
    public static LayerCipherOptions Parse(ReadOnlySpan<byte> privateOptions, ReadOnlySpan<byte> publicOptions)
    {
        try
        {
            using var priv = JsonDocument.Parse(privateOptions.ToArray());
            using var pub = JsonDocument.Parse(publicOptions.ToArray());
            if (priv.RootElement.ValueKind != JsonValueKind.Object || pub.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new LayerDecryptionException("the layer's cipher options are not JSON objects");
            }

            var cipher = String(pub.RootElement, "cipher");
            if (cipher != AesCtrHmacSha256)
            {
                throw new LayerDecryptionException($"the layer's cipher is '{cipher ?? "(none)"}'; only {AesCtrHmacSha256} is supported");
            }

            var key = Bytes(priv.RootElement, "symkey") ?? throw new LayerDecryptionException("the layer's private options have no symmetric key");
            if (key.Length != 32)
            {
                throw new LayerDecryptionException($"the layer's symmetric key is {key.Length} bytes; AES-256 needs 32");
            }

            var hmac = Bytes(pub.RootElement, "hmac");
            if (hmac is null || hmac.Length != 32)
            {
                throw new LayerDecryptionException("the layer's public options carry no HMAC-SHA256 (org.opencontainers.image.enc.pubopts)");
            }

            // ocicrypt looks the nonce up in the public options first, then the private ones.
            var nonce = Option(pub.RootElement, "nonce") ?? Option(priv.RootElement, "nonce")
                ?? throw new LayerDecryptionException("the layer's cipher options have no nonce");
            if (nonce.Length != 16)
            {
                throw new LayerDecryptionException($"the layer's nonce is {nonce.Length} bytes; AES-CTR needs 16");
            }

            Digest? plainDigest = String(priv.RootElement, "digest") is { Length: > 0 } d ? Digest.Parse(d) : null;
            return new LayerCipherOptions(key, nonce, hmac, plainDigest);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or ArgumentException)
        {
            throw new LayerDecryptionException($"the layer's cipher options are malformed: {e.Message}", e);
        }
    }

    private static string? String(JsonElement root, string name)
        => root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static byte[]? Bytes(JsonElement root, string name)
        => root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetBytesFromBase64() : null;

    private static byte[]? Option(JsonElement root, string name)
        => root.TryGetProperty("cipheroptions", out var options) && options.ValueKind == JsonValueKind.Object ? Bytes(options, name) : null;
}
