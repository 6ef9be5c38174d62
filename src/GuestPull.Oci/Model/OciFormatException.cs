namespace GuestPull.Oci.Model;

/// <summary>A manifest, index or config is not valid; the message names the document and the field.</summary>
public class OciFormatException : FormatException
{
    /// <summary>Creates the exception.</summary>
    public OciFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    public OciFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
