using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using GuestPull.Ocicrypt.Jwe;
using GuestPull.Ocicrypt.Keys;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Parameters;

namespace GuestPull.Ocicrypt.Tests;

/// <summary>
/// JWE documents in the JSON serializations ocicrypt writes (general with several recipients, flattened with
/// one), built here with .NET's primitives; interoperability with ocicrypt itself is the integration tests'
/// (images encrypted by skopeo).
/// </summary>
public sealed class JweDecryptorTests
{
    private static readonly byte[] Payload = Encoding.UTF8.GetBytes("""{"symkey":"c2VjcmV0","digest":"","cipheroptions":{}}""");

    private static string B64(byte[] bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);

    private static Dictionary<string, object> RsaRecipient(RSA rsa, byte[] cek, string alg = "RSA-OAEP")
        => new()
        {
            ["header"] = new Dictionary<string, object> { ["alg"] = alg },
            ["encrypted_key"] = B64(rsa.Encrypt(cek, alg == "RSA-OAEP" ? RSAEncryptionPadding.OaepSHA1 : RSAEncryptionPadding.OaepSHA256)),
        };

    private static Dictionary<string, object> EcRecipient(ECDiffieHellman recipient, byte[] cek)
    {
        using var ephemeral = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var z = ephemeral.DeriveRawSecretAgreement(recipient.PublicKey);
        var kek = JweDecryptor.ConcatKdf(z, "ECDH-ES+A256KW", [], [], 256);
        var wrap = new AesWrapEngine();
        wrap.Init(true, new KeyParameter(kek));
        var q = ephemeral.ExportParameters(false).Q;
        return new()
        {
            ["header"] = new Dictionary<string, object>
            {
                ["alg"] = "ECDH-ES+A256KW",
                ["epk"] = new Dictionary<string, string> { ["kty"] = "EC", ["crv"] = "P-256", ["x"] = B64(q.X!), ["y"] = B64(q.Y!) },
            },
            ["encrypted_key"] = B64(wrap.Wrap(cek, 0, cek.Length)),
        };
    }

    private static byte[] Document(byte[] cek, IReadOnlyList<Dictionary<string, object>> recipients, bool flattened = false)
    {
        var protectedHeader = B64(Encoding.UTF8.GetBytes("""{"enc":"A256GCM"}"""));
        var iv = RandomNumberGenerator.GetBytes(12);
        var ciphertext = new byte[Payload.Length];
        var tag = new byte[16];
        using (var gcm = new AesGcm(cek, 16))
        {
            gcm.Encrypt(iv, Payload, ciphertext, tag, Encoding.ASCII.GetBytes(protectedHeader));
        }

        var document = new Dictionary<string, object> { ["protected"] = protectedHeader, ["iv"] = B64(iv), ["ciphertext"] = B64(ciphertext), ["tag"] = B64(tag) };
        if (flattened)
        {
            foreach (var (k, v) in recipients.Single())
            {
                document[k] = v;
            }
        }
        else
        {
            document["recipients"] = recipients;
        }

        return JsonSerializer.SerializeToUtf8Bytes(document);
    }

    [Fact]
    public void EachRecipientOfAGeneralSerializationOpensWithItsOwnKey()
    {
        using var rsa = DecryptionKey.FromRsa("rsa.pem", RSA.Create(2048));
        using var ec = DecryptionKey.FromEc("ec.pem", ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256));
        var cek = RandomNumberGenerator.GetBytes(32);
        var message = JweMessage.Parse(Document(cek, [RsaRecipient(rsa.Rsa!, cek), EcRecipient(ec.Ec!, cek)]));

        Assert.Equal(["RSA-OAEP", "ECDH-ES+A256KW P-256"], message.Recipients.Select(r => r.ToString()));
        Assert.Equal(Payload, JweDecryptor.TryDecrypt(message, [rsa], new List<string>())!.Value.Plaintext);
        var byEc = JweDecryptor.TryDecrypt(message, [ec], new List<string>())!.Value;
        Assert.Equal(Payload, byEc.Plaintext);
        Assert.Same(ec, byEc.Key);
    }

    [Fact]
    public void TheFlattenedSerializationAndRsaOaep256AreRead()
    {
        using var rsa = DecryptionKey.FromRsa("rsa.pem", RSA.Create(2048));
        var cek = RandomNumberGenerator.GetBytes(32);
        var message = JweMessage.Parse(Document(cek, [RsaRecipient(rsa.Rsa!, cek, "RSA-OAEP-256")], flattened: true));

        Assert.Equal(Payload, JweDecryptor.TryDecrypt(message, [rsa], new List<string>())!.Value.Plaintext);
    }

    [Fact]
    public void KeysOfNoRecipientOpenNothingAndSayWhy()
    {
        using var rsa = DecryptionKey.FromRsa("rsa.pem", RSA.Create(2048));
        using var other = DecryptionKey.FromRsa("other.pem", RSA.Create(2048));
        using var otherEc = DecryptionKey.FromEc("other-ec.pem", ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256));
        using var p384 = DecryptionKey.FromEc("p384.pem", ECDiffieHellman.Create(ECCurve.NamedCurves.nistP384));
        using var ec = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var cek = RandomNumberGenerator.GetBytes(32);
        var message = JweMessage.Parse(Document(cek, [RsaRecipient(rsa.Rsa!, cek), EcRecipient(ec, cek)]));
        var failures = new List<string>();

        Assert.Null(JweDecryptor.TryDecrypt(message, [other, otherEc, p384], failures));
        Assert.Contains(failures, f => f.StartsWith("other.pem: recipient RSA-OAEP", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("other-ec.pem: recipient ECDH-ES+A256KW P-256", StringComparison.Ordinal));
    }

    [Fact]
    public void AHeaderParameterInTwoHeadersIsRefused()
    {
        var document = """{"protected":"eyJlbmMiOiJBMjU2R0NNIn0","unprotected":{"enc":"A256GCM"},"recipients":[{"header":{"alg":"RSA-OAEP"},"encrypted_key":"AA"}],"iv":"AA","ciphertext":"AA","tag":"AA"}""";

        var error = Assert.Throws<FormatException>(() => JweMessage.Parse(Encoding.UTF8.GetBytes(document)));
        Assert.Contains("'enc'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("eyJhbGciOiJSU0EtT0FFUCJ9.x.y.z.w", "JSON")]
    [InlineData("""{"protected":"eyJlbmMiOiJBMjU2R0NNIn0","recipients":[],"iv":"AA","ciphertext":"AA","tag":"AA"}""", "non-empty")]
    [InlineData("""{"protected":"eyJlbmMiOiJBMjU2R0NNIn0","recipients":[{"header":{}}],"iv":"AA","ciphertext":"AA","tag":"AA"}""", "alg")]
    [InlineData("""{"recipients":[{"header":{"alg":"RSA-OAEP"}}],"iv":"AA","ciphertext":"AA","tag":"AA"}""", "enc")]
    [InlineData("""{"protected":"eyJlbmMiOiJBMjU2R0NNIn0","header":{"alg":"RSA-OAEP"},"ciphertext":"AA","tag":"AA"}""", "'iv'")]
    public void MalformedDocumentsAreRefusedNamingTheProblem(string document, string expected)
    {
        var error = Assert.Throws<FormatException>(() => JweMessage.Parse(Encoding.UTF8.GetBytes(document)));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AStringThatIsNotUtf8IsRefusedAsMalformed()
    {
        // A value of the unprotected header whose bytes are not UTF-8: JsonDocument parses it; reading it would throw.
        var head = Encoding.UTF8.GetBytes("""{"protected":"eyJlbmMiOiJBMjU2R0NNIn0","unprotected":{"kid":"x""");
        var tail = Encoding.UTF8.GetBytes("\"},\"header\":{\"alg\":\"RSA-OAEP\"},\"encrypted_key\":\"AA\",\"iv\":\"AA\",\"ciphertext\":\"AA\",\"tag\":\"AA\"}");
        byte[] document = [.. head, 0xFF, .. tail];

        var error = Assert.Throws<FormatException>(() => JweMessage.Parse(document));
        Assert.Contains("not valid UTF-8", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheConcatKdfGivesRfc7518AppendixCsKey()
    {
        // RFC 7518 Appendix C: Alice's ephemeral key, Bob's static key, ECDH-ES for A128GCM, apu "Alice", apv "Bob".
        using var alice = ECDiffieHellman.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = Decode("gI0GAILBdu7T53akrFmMyGcsF3n5dO7MmwNBHKW5SV0"), Y = Decode("SLW_xSffzlPWrHEVI30DHM_4egVwt3NQqeUD7nMFpps") },
            D = Decode("0_NxaRPUMQoAJt50Gz8YiTr8gRTwyEaCumd-MToTmIo"),
        });
        using var bob = ECDiffieHellman.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = Decode("weNJy2HscCSM6AEDTDg04biOvhFhyyWvOHQfeF_PxMQ"), Y = Decode("e8lnCO-AlStT-NJVX-crhB7QRYhiix03illJOVAOyck") },
        });
        var z = alice.DeriveRawSecretAgreement(bob.PublicKey);

        var key = JweDecryptor.ConcatKdf(z, "A128GCM", "Alice"u8, "Bob"u8, 128);

        Assert.Equal("VqqN6vgjbSBcIijNcacQGg", B64(key));
    }

    private static byte[] Decode(string value) => System.Buffers.Text.Base64Url.DecodeFromChars(value);
}
