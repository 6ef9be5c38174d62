namespace GuestPull.Oci.Registry;

/// <summary>
/// Content served by a registry does not match what was asked for: a digest or size mismatch, an
/// oversized manifest, or a Docker-Content-Digest that disagrees with the body.
/// Never retried against the same endpoint: a registry that lies once is not asked again.
/// </summary>
public sealed class ContentVerificationException : RegistryException
{
    /// <summary>Creates the exception.</summary>
    public ContentVerificationException(string message)
        : base(message)
    {
    }
}
