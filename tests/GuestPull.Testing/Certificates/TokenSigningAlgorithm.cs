namespace GuestPull.Testing;

/// JWS algorithms docker-registry 2.8 (libtrust) verifies and the token server can sign with.
public enum TokenSigningAlgorithm
{
    ES256,
    RS256,
}
