using System.Security.Cryptography;
using System.Text;

namespace GuestPull.Oci.Registry.Auth;

/// <summary>
/// What a bearer token was issued for: the token service (realm and service), the scopes and
/// who asked. Tokens fetched anonymously and with credentials, or with different credentials,
/// never share a key. Scopes are compared as a set.
/// </summary>
public sealed record TokenCacheKey
{
    /// <summary>Creates a key.</summary>
    /// <param name="realm">The token endpoint URL from the challenge.</param>
    /// <param name="service">The challenge's <c>service</c>, if any.</param>
    /// <param name="scopes">The scopes requested; each may itself hold several space-separated scopes.</param>
    /// <param name="credential">The credentials the token was requested with, or <see langword="null"/> for anonymous.</param>
    public TokenCacheKey(string realm, string? service, IEnumerable<string> scopes, RegistryCredential? credential)
    {
        ArgumentException.ThrowIfNullOrEmpty(realm);
        ArgumentNullException.ThrowIfNull(scopes);

        Realm = realm;
        Service = service ?? string.Empty;
        Scopes = string.Join(' ', scopes
            .SelectMany(s => s.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal));
        Identity = IdentityOf(credential);
    }

    /// <summary>The token endpoint URL.</summary>
    public string Realm { get; }

    /// <summary>The service name, empty when the challenge had none.</summary>
    public string Service { get; }

    /// <summary>The scopes, sorted, de-duplicated and space-separated.</summary>
    public string Scopes { get; }

    /// <summary><c>anonymous</c>, or the user name with a digest of the secrets (never the secrets themselves).</summary>
    public string Identity { get; }

    private static string IdentityOf(RegistryCredential? credential)
    {
        if (credential is null)
        {
            return "anonymous";
        }

        var secrets = Encoding.UTF8.GetBytes($"{credential.Username}\n{credential.Password}\n{credential.IdentityToken}");
        return $"user:{credential.Username}#{Convert.ToHexStringLower(SHA256.HashData(secrets), 0, 16)}";
    }
}
