namespace GuestPull.Testing;

/// A user name and password for a test registry (htpasswd) or token server.
public sealed record RegistryCredentials(string Username, string Password)
{
    /// The "user:password" form skopeo's --creds options take.
    public string ToSkopeoArgument() => $"{Username}:{Password}";

    public override string ToString() => $"{Username}:***";
}
