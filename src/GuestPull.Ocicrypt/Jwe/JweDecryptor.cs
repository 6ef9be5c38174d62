using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using GuestPull.Ocicrypt.Keys;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Parameters;

namespace GuestPull.Ocicrypt.Jwe;

/// <summary>
/// Opens a <see cref="JweMessage"/> with one of a set of private keys, trying every key against every
/// recipient whose algorithm fits it. The key management algorithms are the ones ocicrypt's JWE wrapper
/// writes and reads — <c>RSA-OAEP</c>, <c>RSA-OAEP-256</c>, <c>ECDH-ES+A128KW</c>/<c>A192KW</c>/<c>A256KW</c>
/// (Concat KDF with SHA-256, then AES key unwrap) — and the content encryption is AES-GCM
/// (<c>A128GCM</c>/<c>A192GCM</c>/<c>A256GCM</c>; ocicrypt writes A256GCM).
/// </summary>
public static class JweDecryptor
{
    /// <summary>Decrypts <paramref name="message"/>; null when no key opens any recipient.</summary>
    /// <param name="message">The JWE.</param>
    /// <param name="keys">The private keys, tried in order.</param>
    /// <param name="failures">Receives why each attempt failed, for the caller's message.</param>
    public static (byte[] Plaintext, DecryptionKey Key)? TryDecrypt(JweMessage message, IReadOnlyList<DecryptionKey> keys, ICollection<string> failures)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(failures);
        var contentKeyLength = message.ContentEncryption switch
        {
            "A128GCM" => 16,
            "A192GCM" => 24,
            "A256GCM" => 32,
            _ => 0,
        };
        if (contentKeyLength == 0)
        {
            failures.Add($"JWE content encryption {message.ContentEncryption} is not supported (A128GCM, A192GCM, A256GCM)");
            return null;
        }

        foreach (var key in keys)
        {
            foreach (var recipient in message.Recipients)
            {
                byte[]? cek;
                try
                {
                    cek = UnwrapContentKey(recipient, key, contentKeyLength);
                }
                catch (Exception e) when (e is CryptographicException or InvalidCipherTextException or FormatException)
                {
                    failures.Add($"{key.Source}: recipient {recipient}: {e.Message}");
                    continue;
                }

                if (cek is null)
                {
                    continue;
                }

                try
                {
                    if (cek.Length != contentKeyLength)
                    {
                        throw new CryptographicException($"the content key is {cek.Length} bytes, {message.ContentEncryption} needs {contentKeyLength}");
                    }

                    return (DecryptContent(message, cek), key);
                }
                catch (CryptographicException e)
                {
                    failures.Add($"{key.Source}: recipient {recipient}: content decryption failed ({e.Message})");
                }
                finally
                {
                    CryptographicOperations.ZeroMemory(cek);
                }
            }
        }

        return null;
    }

    /// <returns>The content key, or null when <paramref name="key"/> cannot be used for this recipient at all.</returns>
    private static byte[]? UnwrapContentKey(JweRecipient recipient, DecryptionKey key, int contentKeyLength)
    {
        switch (recipient.Algorithm)
        {
            case "RSA-OAEP" when key.Rsa is not null:
                return key.Rsa.Decrypt(recipient.EncryptedKey, RSAEncryptionPadding.OaepSHA1);
            case "RSA-OAEP-256" when key.Rsa is not null:
                return key.Rsa.Decrypt(recipient.EncryptedKey, RSAEncryptionPadding.OaepSHA256);
            case "ECDH-ES+A128KW" or "ECDH-ES+A192KW" or "ECDH-ES+A256KW" when key.Ec is not null:
                return EcdhUnwrap(recipient, key.Ec);
            case "ECDH-ES" when key.Ec is not null:
                return EcdhDerive(recipient, key.Ec, recipient.Parameters["enc"].GetString()!, contentKeyLength * 8);
            default:
                return null;
        }
    }

    private static byte[]? EcdhUnwrap(JweRecipient recipient, ECDiffieHellman ec)
    {
        var kekBits = recipient.Algorithm switch
        {
            "ECDH-ES+A128KW" => 128,
            "ECDH-ES+A192KW" => 192,
            _ => 256,
        };
        var kek = EcdhDerive(recipient, ec, recipient.Algorithm, kekBits);
        if (kek is null)
        {
            return null;
        }

        try
        {
            var wrap = new AesWrapEngine();
            wrap.Init(false, new KeyParameter(kek));
            return wrap.Unwrap(recipient.EncryptedKey, 0, recipient.EncryptedKey.Length);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(kek);
        }
    }

    /// <returns>The derived key, or null when the recipient's ephemeral key is on another curve than <paramref name="ec"/>.</returns>
    private static byte[]? EcdhDerive(JweRecipient recipient, ECDiffieHellman ec, string algorithmId, int keyBits)
    {
        if (!recipient.Parameters.TryGetValue("epk", out var epk) || epk.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException("the ECDH recipient has no ephemeral public key (epk)");
        }

        var own = ec.ExportParameters(false).Curve;
        if (JweCurves.Name(own) != recipient.Curve)
        {
            return null;
        }

        var parameters = new ECParameters
        {
            Curve = JweCurves.FromName(recipient.Curve),
            Q = new ECPoint
            {
                X = System.Buffers.Text.Base64Url.DecodeFromChars(epk.GetProperty("x").GetString()),
                Y = System.Buffers.Text.Base64Url.DecodeFromChars(epk.GetProperty("y").GetString()),
            },
        };
        using var ephemeral = ECDiffieHellman.Create(parameters);
        var z = ec.DeriveRawSecretAgreement(ephemeral.PublicKey);
        try
        {
            return ConcatKdf(z, algorithmId, Optional(recipient, "apu"), Optional(recipient, "apv"), keyBits);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(z);
        }
    }

    private static byte[] Optional(JweRecipient recipient, string name)
        => recipient.Parameters.TryGetValue(name, out var value) && value.ValueKind == JsonValueKind.String
            ? System.Buffers.Text.Base64Url.DecodeFromChars(value.GetString()) : [];

    /// <summary>NIST SP 800-56A's Concat KDF with SHA-256, its OtherInfo laid out as RFC 7518 §4.6.2 says.</summary>
    internal static byte[] ConcatKdf(ReadOnlySpan<byte> z, string algorithmId, ReadOnlySpan<byte> apu, ReadOnlySpan<byte> apv, int keyBits)
    {
        var alg = Encoding.ASCII.GetBytes(algorithmId);
        var otherInfo = new byte[4 + alg.Length + 4 + apu.Length + 4 + apv.Length + 4];
        var span = otherInfo.AsSpan();
        BinaryPrimitives.WriteInt32BigEndian(span, alg.Length);
        alg.CopyTo(span[4..]);
        span = span[(4 + alg.Length)..];
        BinaryPrimitives.WriteInt32BigEndian(span, apu.Length);
        apu.CopyTo(span[4..]);
        span = span[(4 + apu.Length)..];
        BinaryPrimitives.WriteInt32BigEndian(span, apv.Length);
        apv.CopyTo(span[4..]);
        span = span[(4 + apv.Length)..];
        BinaryPrimitives.WriteInt32BigEndian(span, keyBits);

        var keyBytes = keyBits / 8;
        var output = new byte[(keyBytes + 31) / 32 * 32];
        var round = new byte[4 + z.Length + otherInfo.Length];
        z.CopyTo(round.AsSpan(4));
        otherInfo.CopyTo(round.AsSpan(4 + z.Length));
        for (var i = 0; i * 32 < keyBytes; i++)
        {
            BinaryPrimitives.WriteInt32BigEndian(round, i + 1);
            SHA256.HashData(round, output.AsSpan(i * 32, 32));
        }

        CryptographicOperations.ZeroMemory(round);
        return output[..keyBytes];
    }

    private static byte[] DecryptContent(JweMessage message, byte[] cek)
    {
        if (message.Tag.Length != 16)
        {
            throw new CryptographicException($"the JWE's tag is {message.Tag.Length} bytes; AES-GCM's is 16");
        }

        using var gcm = new AesGcm(cek, 16);
        var plaintext = new byte[message.Ciphertext.Length];
        gcm.Decrypt(message.Iv, message.Ciphertext, message.Tag, plaintext, message.AdditionalData);
        return plaintext;
    }
}
