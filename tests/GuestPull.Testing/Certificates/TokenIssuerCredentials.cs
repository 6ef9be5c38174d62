using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace GuestPull.Testing;

/// A token issuer's signing key and its certificate (issued by a <see cref="TestCertificateAuthority"/>);
/// the certificate goes into the JWS header's x5c so the registry can check it against its root bundle.
public sealed class TokenIssuerCredentials : IDisposable
{
    private readonly AsymmetricAlgorithm _key;

    internal TokenIssuerCredentials(X509Certificate2 certificate, AsymmetricAlgorithm key, TokenSigningAlgorithm algorithm)
    {
        Certificate = certificate;
        _key = key;
        Algorithm = algorithm;
    }

    public X509Certificate2 Certificate { get; }

    public TokenSigningAlgorithm Algorithm { get; }

    /// The "alg" header value.
    public string JwsAlgorithm => Algorithm.ToString();

    /// The "x5c" header value: base64 (not base64url) DER, leaf first.
    public IReadOnlyList<string> X5c => [Convert.ToBase64String(Certificate.RawData)];

    /// Signs a JWS signing input. ES256 signatures are the raw 64-byte r||s form JWS requires (not DER).
    public byte[] Sign(ReadOnlySpan<byte> signingInput) => _key switch
    {
        ECDsa ecdsa => ecdsa.SignData(signingInput, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation),
        RSA rsa => rsa.SignData(signingInput.ToArray(), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
        _ => throw new InvalidOperationException($"Unsupported issuer key type {_key.GetType().Name}."),
    };

    public void Dispose()
    {
        Certificate.Dispose();
        _key.Dispose();
    }
}
