using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace GuestPull.Testing;

/// A throw-away certificate authority plus a server certificate for 127.0.0.1 and localhost.
/// Files written into <see cref="Directory"/>: ca.crt, server.crt, server.key (PEM, PKCS#8 key), and
/// trust/ca.crt: a directory holding only the CA, because tools that take a "cert dir" (skopeo, containerd's
/// hosts.d) treat every *.crt there as a root and insist that every *.key has a matching *.cert.
public sealed class TestCertificateAuthority : IDisposable
{
    private static readonly TimeSpan Backdate = TimeSpan.FromDays(1);
    private static readonly TimeSpan Lifetime = TimeSpan.FromDays(30);

    private readonly ECDsa _caKey;

    private TestCertificateAuthority(string directory, X509Certificate2 certificate, ECDsa caKey, X509Certificate2 serverCertificate)
    {
        Directory = directory;
        Certificate = certificate;
        _caKey = caKey;
        ServerCertificate = serverCertificate;
    }

    public string Directory { get; }

    /// The CA certificate (with its private key).
    public X509Certificate2 Certificate { get; }

    /// The server certificate for 127.0.0.1 and localhost (with its private key), issued by the CA.
    public X509Certificate2 ServerCertificate { get; }

    public string CaCertificatePath => Path.Combine(Directory, "ca.crt");

    public string ServerCertificatePath => Path.Combine(Directory, "server.crt");

    public string ServerKeyPath => Path.Combine(Directory, "server.key");

    /// A directory containing only ca.crt, for --cert-dir style options.
    public string TrustDirectory => Path.Combine(Directory, "trust");

    /// Creates the CA and the server certificate and writes the PEM files into <paramref name="directory"/>
    /// (created if missing).
    public static TestCertificateAuthority Create(string directory, string commonName = "GuestPull Test CA")
    {
        System.IO.Directory.CreateDirectory(directory);
        var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={commonName}, O=GuestPull tests", caKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        var caCertificate = request.CreateSelfSigned(now - Backdate, now + Lifetime);

        var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var serverRequest = new CertificateRequest("CN=127.0.0.1", serverKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        serverRequest.CertificateExtensions.Add(names.Build(critical: false));
        serverRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        serverRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1", "Server Authentication")], false));
        var serverCertificate = Issue(serverRequest, caCertificate, caKey, serverKey);

        var authority = new TestCertificateAuthority(directory, caCertificate, caKey, serverCertificate);
        File.WriteAllText(authority.CaCertificatePath, caCertificate.ExportCertificatePem() + "\n");
        File.WriteAllText(authority.ServerCertificatePath, serverCertificate.ExportCertificatePem() + "\n");
        File.WriteAllText(authority.ServerKeyPath, serverKey.ExportPkcs8PrivateKeyPem() + "\n");
        UnixFiles.SetMode(authority.ServerKeyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        System.IO.Directory.CreateDirectory(authority.TrustDirectory);
        File.Copy(authority.CaCertificatePath, Path.Combine(authority.TrustDirectory, "ca.crt"), overwrite: true);
        return authority;
    }

    /// Makes a signing key and a certificate for it, issued by this CA, for a registry token issuer.
    public TokenIssuerCredentials CreateTokenIssuer(
        TokenSigningAlgorithm algorithm = TokenSigningAlgorithm.ES256,
        string commonName = "GuestPull Test Token Issuer")
    {
        AsymmetricAlgorithm key = algorithm switch
        {
            TokenSigningAlgorithm.ES256 => ECDsa.Create(ECCurve.NamedCurves.nistP256),
            TokenSigningAlgorithm.RS256 => RSA.Create(2048),
            _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "Unknown token signing algorithm."),
        };
        var request = key is ECDsa ecdsa
            ? new CertificateRequest($"CN={commonName}", ecdsa, HashAlgorithmName.SHA256)
            : new CertificateRequest($"CN={commonName}", (RSA)key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        var certificate = Issue(request, Certificate, _caKey, key);
        return new TokenIssuerCredentials(certificate, key, algorithm);
    }

    public void Dispose()
    {
        ServerCertificate.Dispose();
        Certificate.Dispose();
        _caKey.Dispose();
    }

    private static X509Certificate2 Issue(CertificateRequest request, X509Certificate2 issuer, ECDsa issuerKey, AsymmetricAlgorithm subjectKey)
    {
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F; // a positive serial number, as RFC 5280 requires
        var now = DateTimeOffset.UtcNow;
        var notAfter = issuer.NotAfter.ToUniversalTime() < now + Lifetime ? issuer.NotAfter.ToUniversalTime() : now + Lifetime;
        using var withoutKey = request.Create(
            issuer.SubjectName,
            X509SignatureGenerator.CreateForECDsa(issuerKey),
            now - Backdate,
            notAfter,
            serial);
        return subjectKey switch
        {
            ECDsa ecdsa => withoutKey.CopyWithPrivateKey(ecdsa),
            RSA rsa => withoutKey.CopyWithPrivateKey(rsa),
            _ => throw new InvalidOperationException($"Unsupported key type {subjectKey.GetType().Name}."),
        };
    }
}
