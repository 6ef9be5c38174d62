using System.Security.Cryptography.X509Certificates;
using GuestPull.Testing;
using GuestPull.Testing.Traits;

namespace GuestPull.IntegrationTests.Fixtures;

[Trait(Requires.Trait, Requires.Components)]
public sealed class TestCertificateAuthorityTests
{
    [Fact]
    public async Task ServerCertificate_VerifiesAgainstTheCaWithOpenssl()
    {
        using var directory = TempDirectory.Create("ca");
        using var authority = TestCertificateAuthority.Create(directory.Path);

        var verify = await ProcessRunner.RunAsync("openssl", ["verify", "-CAfile", authority.CaCertificatePath, "-purpose", "sslserver", authority.ServerCertificatePath]);
        var names = await ProcessRunner.RunAsync("openssl", ["x509", "-in", authority.ServerCertificatePath, "-noout", "-ext", "subjectAltName"]);
        var key = await ProcessRunner.RunAsync("openssl", ["pkey", "-in", authority.ServerKeyPath, "-pubout"]);

        Assert.Contains(": OK", verify.StandardOutput);
        Assert.Contains("IP Address:127.0.0.1", names.StandardOutput);
        Assert.Contains("DNS:localhost", names.StandardOutput);
        Assert.Equal(authority.ServerCertificate.PublicKey.ExportSubjectPublicKeyInfo(), PemToDer(key.StandardOutput));
        Assert.Equal(["ca.crt"], Directory.GetFiles(authority.TrustDirectory).Select(Path.GetFileName));
    }

    [Theory]
    [InlineData(TokenSigningAlgorithm.ES256)]
    [InlineData(TokenSigningAlgorithm.RS256)]
    public void TokenIssuer_ChainsToTheCa(TokenSigningAlgorithm algorithm)
    {
        using var directory = TempDirectory.Create("ca");
        using var authority = TestCertificateAuthority.Create(directory.Path);
        using var issuer = authority.CreateTokenIssuer(algorithm);

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(authority.Certificate);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;

        Assert.True(chain.Build(issuer.Certificate), string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation)));
        Assert.Equal(algorithm.ToString(), issuer.JwsAlgorithm);
        Assert.Single(issuer.X5c);
    }

    private static byte[] PemToDer(string pem) =>
        Convert.FromBase64String(string.Concat(pem.Split('\n').Where(line => line.Length > 0 && !line.StartsWith("-----", StringComparison.Ordinal))));
}
