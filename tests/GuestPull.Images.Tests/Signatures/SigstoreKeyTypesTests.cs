using System.Security.Cryptography;
using System.Text;
using GuestPull.Images.Signatures;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;

namespace GuestPull.Images.Tests.Signatures;

/// <summary>The key types cosign generates or imports: ECDSA (any NIST curve, SHA-256), RSA PKCS#1 v1.5, Ed25519.</summary>
public sealed class SigstoreKeyTypesTests
{
    private static readonly byte[] Payload = Encoding.UTF8.GetBytes("{\"critical\":{}}");

    [Theory]
    [InlineData("nistP256", "ECDSA P-256")]
    [InlineData("nistP384", "ECDSA P-384")]
    [InlineData("nistP521", "ECDSA P-521")]
    public void Ecdsa(string curve, string description)
    {
        using var key = ECDsa.Create(ECCurve.CreateFromFriendlyName(curve));
        var parsed = Assert.Single(SigstorePublicKey.ParsePem(key.ExportSubjectPublicKeyInfoPem()));
        Assert.StartsWith(description, parsed.Description, StringComparison.Ordinal);
        Assert.True(parsed.Verify(Payload, key.SignData(Payload, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence)));
        Assert.False(parsed.Verify(Encoding.UTF8.GetBytes("{\"critical\":{ }}"), key.SignData(Payload, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence)));
        Assert.False(parsed.Verify(Payload, [0x30, 0x03, 0x02, 0x01]));
    }

    [Fact]
    public void Rsa()
    {
        using var key = RSA.Create(2048);
        var parsed = Assert.Single(SigstorePublicKey.ParsePem(key.ExportSubjectPublicKeyInfoPem()));
        Assert.StartsWith("RSA-2048", parsed.Description, StringComparison.Ordinal);
        Assert.True(parsed.Verify(Payload, key.SignData(Payload, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)));
        Assert.False(parsed.Verify(Payload, key.SignData(Encoding.UTF8.GetBytes("other"), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)));
    }

    [Fact]
    public void Ed25519()
    {
        var generator = new Ed25519KeyPairGenerator();
        generator.Init(new Ed25519KeyGenerationParameters(new SecureRandom()));
        var pair = generator.GenerateKeyPair();
        var spki = SubjectPublicKeyInfoFactory.CreateSubjectPublicKeyInfo(pair.Public).GetDerEncoded();
        var pem = PemEncoding.WriteString("PUBLIC KEY", spki);
        var parsed = Assert.Single(SigstorePublicKey.ParsePem(pem));
        Assert.StartsWith("Ed25519", parsed.Description, StringComparison.Ordinal);
        var signer = new Ed25519Signer();
        signer.Init(true, (Ed25519PrivateKeyParameters)pair.Private);
        signer.BlockUpdate(Payload, 0, Payload.Length);
        Assert.True(parsed.Verify(Payload, signer.GenerateSignature()));
    }

    [Fact]
    public void SeveralKeysInOneFileAreAllTrusted()
    {
        using var first = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var second = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var keys = SigstorePublicKey.ParsePem(first.ExportSubjectPublicKeyInfoPem() + "\n" + second.ExportSubjectPublicKeyInfoPem());
        Assert.Equal(2, keys.Count);
    }

    [Fact]
    public void APrivateKeyIsRefused()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var ex = Assert.Throws<FormatException>(() => SigstorePublicKey.ParsePem(key.ExportPkcs8PrivateKeyPem()));
        Assert.Contains("\"PRIVATE KEY\" is not a public key", ex.Message, StringComparison.Ordinal);
    }
}
