using System.Security.Cryptography;
using System.Text;

namespace GuestPull.Testing;

/// An ECDSA P-256 key pair made in the test, signing cosign "simple signing" payloads the way
/// cosign sign does: SHA-256, ASN.1 DER signature, base64 in the layer annotation.
public sealed class CosignKey : IDisposable
{
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    /// The public key as cosign.pub holds it (PEM SubjectPublicKeyInfo).
    public string PublicKeyPem => _key.ExportSubjectPublicKeyInfoPem();

    public async Task<string> WritePublicKeyAsync(string path, CancellationToken cancellationToken = default)
    {
        await File.WriteAllTextAsync(path, PublicKeyPem, cancellationToken).ConfigureAwait(false);
        return path;
    }

    /// The payload cosign signs for an image: critical identity, manifest digest and type.
    public static byte[] Payload(string dockerReference, string manifestDigest) =>
        Encoding.UTF8.GetBytes(
            $"{{\"critical\":{{\"identity\":{{\"docker-reference\":\"{dockerReference}\"}},\"image\":{{\"docker-manifest-digest\":\"{manifestDigest}\"}},\"type\":\"cosign container image signature\"}},\"optional\":null}}");

    /// base64 of the DER ECDSA signature over the payload, the value of dev.cosignproject.cosign/signature.
    public string Sign(byte[] payload) =>
        Convert.ToBase64String(_key.SignData(payload, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));

    public void Dispose() => _key.Dispose();
}
