namespace GuestPull.Oci.Model;

/// <summary>A manifest of a kind GuestPull refuses, such as Docker schema 1.</summary>
public sealed class UnsupportedManifestException : OciFormatException
{
    /// <summary>Creates the exception.</summary>
    public UnsupportedManifestException(string message)
        : base(message)
    {
    }
}
