namespace GuestPull.Oci.Registry.Auth;

/// <summary>A bearer token from a registry's token service. <see cref="ToString"/> hides the token.</summary>
/// <param name="Token">The value sent as <c>Authorization: Bearer …</c>.</param>
/// <param name="ExpiresAt">When the token service said the token stops working.</param>
public sealed record BearerToken(string Token, DateTimeOffset ExpiresAt)
{
    /// <summary>Describes the token without its value.</summary>
    /// <returns>The expiry only.</returns>
    public override string ToString() => $"BearerToken {{ Token = ***, ExpiresAt = {ExpiresAt:O} }}";
}
