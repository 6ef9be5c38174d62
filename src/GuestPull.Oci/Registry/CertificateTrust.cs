using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace GuestPull.Oci.Registry;

/// <summary>
/// TLS trust: the system roots, plus a CA file given for all registries, plus per-registry CA files
/// in containers' <c>certs.d/host:port/*.crt</c> layout. A host name mismatch is never accepted.
/// </summary>
internal sealed class CertificateTrust
{
    private readonly X509Certificate2Collection _globalRoots = [];
    private readonly IReadOnlyList<string> _certificateDirectories;
    private readonly Dictionary<string, X509Certificate2Collection> _perHost = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _lock = new();

    public CertificateTrust(string? caFile, IReadOnlyList<string> certificateDirectories)
    {
        _certificateDirectories = certificateDirectories;
        if (caFile is not null)
        {
            if (!File.Exists(caFile))
            {
                throw new FileNotFoundException($"CA file {caFile} does not exist", caFile);
            }

            try
            {
                _globalRoots.ImportFromPemFile(caFile);
            }
            catch (System.Security.Cryptography.CryptographicException ex)
            {
                throw new InvalidDataException($"CA file {caFile} holds no readable PEM certificate: {ex.Message}", ex);
            }

            if (_globalRoots.Count == 0)
            {
                throw new InvalidDataException($"CA file {caFile} holds no PEM certificate");
            }
        }
    }

    public bool Validate(string hostPort, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        if (errors != SslPolicyErrors.RemoteCertificateChainErrors || certificate is null)
        {
            return false;
        }

        var roots = new X509Certificate2Collection(_globalRoots);
        roots.AddRange(GetHostRoots(hostPort));
        if (roots.Count == 0)
        {
            return false;
        }

        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(roots);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain is not null)
        {
            foreach (var element in chain.ChainElements)
            {
                custom.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return custom.Build(leaf);
    }

    private X509Certificate2Collection GetHostRoots(string hostPort)
    {
        lock (_lock)
        {
            if (_perHost.TryGetValue(hostPort, out var cached))
            {
                return cached;
            }

            var collection = new X509Certificate2Collection();
            foreach (var directory in _certificateDirectories)
            {
                var hostDirectory = Path.Combine(directory, hostPort);
                if (!Directory.Exists(hostDirectory))
                {
                    continue;
                }

                foreach (var file in Directory.EnumerateFiles(hostDirectory, "*.crt").Order(StringComparer.Ordinal))
                {
                    collection.ImportFromPemFile(file);
                }
            }

            _perHost[hostPort] = collection;
            return collection;
        }
    }
}
