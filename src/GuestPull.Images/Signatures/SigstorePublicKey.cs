using System.Security.Cryptography;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;

namespace GuestPull.Images.Signatures;

/// <summary>
/// A public key cosign signatures are checked with: a PEM <c>PUBLIC KEY</c> (SubjectPublicKeyInfo)
/// for ECDSA (P-256, P-384, P-521), RSA (PKCS#1 v1.5) or Ed25519 — the key types cosign generates or
/// imports. ECDSA and RSA signatures are over SHA-256 of the payload whatever the curve, as sigstore
/// hard-codes; Ed25519 signs the payload itself.
/// </summary>
internal sealed class SigstorePublicKey
{
    private readonly AsymmetricKeyParameter _key;
    private readonly string _algorithm;

    private SigstorePublicKey(AsymmetricKeyParameter key, string algorithm, string description)
    {
        _key = key;
        _algorithm = algorithm;
        Description = description;
    }

    /// <summary>Key type and fingerprint, for messages.</summary>
    public string Description { get; }

    /// <summary>Every PEM public key in <paramref name="pem"/>.</summary>
    /// <exception cref="FormatException">No key, or a key that is not a supported public key.</exception>
    public static IReadOnlyList<SigstorePublicKey> ParsePem(string pem)
    {
        var keys = new List<SigstorePublicKey>();
        var rest = pem.AsSpan();
        while (PemEncoding.TryFind(rest, out var fields))
        {
            var label = rest[fields.Label].ToString();
            if (label != "PUBLIC KEY")
            {
                throw new FormatException($"a PEM block labelled \"{label}\" is not a public key (expected \"PUBLIC KEY\")");
            }

            keys.Add(FromSubjectPublicKeyInfo(Convert.FromBase64String(rest[fields.Base64Data].ToString())));
            rest = rest[fields.Location.End..];
        }

        return keys.Count > 0 ? keys : throw new FormatException("no PEM \"PUBLIC KEY\" block found");
    }

    public static SigstorePublicKey FromSubjectPublicKeyInfo(byte[] der)
    {
        AsymmetricKeyParameter key;
        try
        {
            key = PublicKeyFactory.CreateKey(der);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or IOException or SecurityUtilityException or InvalidCastException)
        {
            throw new FormatException($"not a valid SubjectPublicKeyInfo: {ex.Message}", ex);
        }

        var fingerprint = Convert.ToHexStringLower(SHA256.HashData(der))[..16];
        return key switch
        {
            ECPublicKeyParameters ec => new SigstorePublicKey(ec, "SHA-256withECDSA", $"ECDSA P-{ec.Parameters.Curve.FieldSize} key {fingerprint}"),
            RsaKeyParameters { IsPrivate: false } rsa => new SigstorePublicKey(rsa, "SHA-256withRSA", $"RSA-{rsa.Modulus.BitLength} key {fingerprint}"),
            Ed25519PublicKeyParameters ed => new SigstorePublicKey(ed, "Ed25519", $"Ed25519 key {fingerprint}"),
            _ => throw new FormatException($"unsupported public key type {key.GetType().Name} (cosign keys are ECDSA, RSA or Ed25519)"),
        };
    }

    /// <summary>Whether <paramref name="signature"/> (ASN.1 DER for ECDSA) signs <paramref name="payload"/>.</summary>
    public bool Verify(byte[] payload, byte[] signature)
    {
        var signer = SignerUtilities.GetSigner(_algorithm);
        signer.Init(false, _key);
        signer.BlockUpdate(payload, 0, payload.Length);
        try
        {
            return signer.VerifySignature(signature);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A malformed DER sequence is a signature that does not verify, not a crash.
            return false;
        }
    }
}
