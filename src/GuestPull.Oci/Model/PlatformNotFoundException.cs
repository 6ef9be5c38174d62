namespace GuestPull.Oci.Model;

/// <summary>An index has no image for the requested platform.</summary>
public sealed class PlatformNotFoundException : Exception
{
    /// <summary>Creates the exception.</summary>
    public PlatformNotFoundException(string message)
        : base(message)
    {
    }
}
