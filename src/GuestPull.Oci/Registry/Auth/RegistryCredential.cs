namespace GuestPull.Oci.Registry.Auth;

/// <summary>
/// Credentials for a registry or one of its repositories, as stored in an auth file or given on
/// the command line. <see cref="ToString"/> hides the secrets so the value is safe to log.
/// </summary>
/// <param name="Username">The user name; empty when only an identity token is known.</param>
/// <param name="Password">The password or personal access token; empty when only an identity token is known.</param>
/// <param name="IdentityToken">An OAuth2 refresh token (<c>identitytoken</c> in auth.json), exchanged for bearer tokens.</param>
public sealed record RegistryCredential(string Username, string Password, string? IdentityToken = null)
{
    /// <summary>Describes the credential without its password or token.</summary>
    /// <returns>The user name and which secrets are present.</returns>
    public override string ToString() =>
        $"RegistryCredential {{ Username = {Username}, Password = {(Password.Length > 0 ? "***" : "(none)")}, IdentityToken = {(IdentityToken is { Length: > 0 } ? "***" : "(none)")} }}";
}
