using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using GuestPull.Ocicrypt.Keys;
using GuestPull.Testing;

namespace GuestPull.Ocicrypt.Tests;

/// <summary>The private key forms skopeo's <c>--decryption-key FILE[:PASSWORD]</c> accepts.</summary>
public sealed class DecryptionKeyLoaderTests
{
    [Fact]
    public void RsaAndEcPemFormsLoad()
    {
        using var rsa = RSA.Create(2048);
        using var ec = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        foreach (var (pem, kind) in new[] { (rsa.ExportRSAPrivateKeyPem(), "RSA 2048"), (rsa.ExportPkcs8PrivateKeyPem(), "RSA 2048"), (ec.ExportECPrivateKeyPem(), "EC P-256"), (ec.ExportPkcs8PrivateKeyPem(), "EC P-256") })
        {
            using var key = DecryptionKeyLoader.Parse("k.pem", Encoding.ASCII.GetBytes(pem), null);
            Assert.Equal(kind, key.Kind);
        }
    }

    [Fact]
    public void AnEncryptedKeyNeedsItsPassword()
    {
        using var work = TempDirectory.Create("ocicrypt-keys");
        using var rsa = RSA.Create(2048);
        var path = work.Combine("enc.pem");
        File.WriteAllText(path, rsa.ExportEncryptedPkcs8PrivateKeyPem("pw:with colon", new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 100_000)));
        File.WriteAllText(work.Combine("pw"), "pw:with colon\n");

        using (var key = DecryptionKeyLoader.Load(path + ":pass=pw:with colon"))
        {
            Assert.Equal(rsa.ExportParameters(false).Modulus, key.Rsa!.ExportParameters(false).Modulus);
        }

        using (DecryptionKeyLoader.Load(path + ":file=" + work.Combine("pw")))
        {
        }

        Assert.Contains("give its password", Assert.Throws<KeyLoadException>(() => DecryptionKeyLoader.Load(path)).Message, StringComparison.Ordinal);
        Assert.Contains("wrong password", Assert.Throws<KeyLoadException>(() => DecryptionKeyLoader.Load(path + ":nope")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PrivateJwksLoad()
    {
        using var rsa = RSA.Create(2048);
        var p = rsa.ExportParameters(true);
        string B(byte[] b) => System.Buffers.Text.Base64Url.EncodeToString(b);
        var rsaJwk = JsonSerializer.Serialize(new Dictionary<string, string> { ["kty"] = "RSA", ["n"] = B(p.Modulus!), ["e"] = B(p.Exponent!), ["d"] = B(p.D!), ["p"] = B(p.P!), ["q"] = B(p.Q!), ["dp"] = B(p.DP!), ["dq"] = B(p.DQ!), ["qi"] = B(p.InverseQ!) });
        using (var key = DecryptionKeyLoader.Parse("rsa.jwk", Encoding.UTF8.GetBytes(rsaJwk), null))
        {
            Assert.Equal("RSA 2048", key.Kind);
        }

        using var ec = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP384);
        var e = ec.ExportParameters(true);
        var ecJwk = JsonSerializer.Serialize(new Dictionary<string, string> { ["kty"] = "EC", ["crv"] = "P-384", ["x"] = B(e.Q.X!), ["y"] = B(e.Q.Y!), ["d"] = B(e.D!) });
        using (var key = DecryptionKeyLoader.Parse("ec.jwk", Encoding.UTF8.GetBytes(ecJwk), null))
        {
            Assert.Equal("EC P-384", key.Kind);
        }
    }

    [Fact]
    public void PublicKeysAndOtherFilesAreRefused()
    {
        using var rsa = RSA.Create(2048);
        Assert.Contains("no private key", Assert.Throws<KeyLoadException>(() => DecryptionKeyLoader.Parse("pub.pem", Encoding.ASCII.GetBytes(rsa.ExportSubjectPublicKeyInfoPem()), null)).Message, StringComparison.Ordinal);
        Assert.Contains("neither PEM nor a JWK", Assert.Throws<KeyLoadException>(() => DecryptionKeyLoader.Parse("x", "hello"u8, null)).Message, StringComparison.Ordinal);
        Assert.Contains("/nonexistent/key.pem", Assert.Throws<KeyLoadException>(() => DecryptionKeyLoader.Load("/nonexistent/key.pem")).Message, StringComparison.Ordinal);
    }
}
