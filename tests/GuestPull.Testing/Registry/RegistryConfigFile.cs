using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace GuestPull.Testing;

/// Renders docker-registry's config.yml. No blob descriptor cache on purpose: the registry then stats the
/// storage on every request, so <see cref="RegistryStorage"/> edits are seen at once.
internal static class RegistryConfigFile
{
    public static string Render(
        int port,
        string storageRoot,
        TestCertificateAuthority? tls,
        string? htpasswdPath,
        TokenServer? tokenServer)
    {
        var yaml = new StringBuilder();
        yaml.AppendLine("version: 0.1");
        yaml.AppendLine("log:");
        yaml.AppendLine("  level: info");
        yaml.AppendLine("  formatter: text");
        yaml.AppendLine("  accesslog:");
        yaml.AppendLine("    disabled: false");
        yaml.AppendLine("storage:");
        yaml.AppendLine("  filesystem:");
        yaml.AppendLine(CultureInfo.InvariantCulture, $"    rootdirectory: {Quote(storageRoot)}");
        yaml.AppendLine("  delete:");
        yaml.AppendLine("    enabled: true");
        yaml.AppendLine("  maintenance:");
        yaml.AppendLine("    uploadpurging:");
        yaml.AppendLine("      enabled: false");
        yaml.AppendLine("http:");
        yaml.AppendLine(CultureInfo.InvariantCulture, $"  addr: 127.0.0.1:{port}");
        yaml.AppendLine(CultureInfo.InvariantCulture, $"  secret: {Convert.ToHexString(RandomNumberGenerator.GetBytes(16))}");
        yaml.AppendLine("  headers:");
        yaml.AppendLine("    X-Content-Type-Options: [nosniff]");
        if (tls is not null)
        {
            yaml.AppendLine("  tls:");
            yaml.AppendLine(CultureInfo.InvariantCulture, $"    certificate: {Quote(tls.ServerCertificatePath)}");
            yaml.AppendLine(CultureInfo.InvariantCulture, $"    key: {Quote(tls.ServerKeyPath)}");
        }

        if (htpasswdPath is not null)
        {
            yaml.AppendLine("auth:");
            yaml.AppendLine("  htpasswd:");
            yaml.AppendLine("    realm: guestpull-test-registry");
            yaml.AppendLine(CultureInfo.InvariantCulture, $"    path: {Quote(htpasswdPath)}");
        }
        else if (tokenServer is not null)
        {
            yaml.AppendLine("auth:");
            yaml.AppendLine("  token:");
            yaml.AppendLine(CultureInfo.InvariantCulture, $"    realm: {Quote(tokenServer.Realm.ToString())}");
            yaml.AppendLine(CultureInfo.InvariantCulture, $"    service: {Quote(tokenServer.Service)}");
            yaml.AppendLine(CultureInfo.InvariantCulture, $"    issuer: {Quote(tokenServer.Issuer)}");
            yaml.AppendLine(CultureInfo.InvariantCulture, $"    rootcertbundle: {Quote(tokenServer.RootCertificateBundlePath)}");
        }

        return yaml.ToString();
    }

    // A YAML double-quoted scalar; paths under /tmp never need more than these two escapes.
    private static string Quote(string value) =>
        "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
