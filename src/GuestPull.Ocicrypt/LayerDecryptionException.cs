namespace GuestPull.Ocicrypt;

/// <summary>An encrypted layer's metadata or content is wrong: bad options or a failed HMAC.</summary>
public sealed class LayerDecryptionException : Exception
{
    /// <summary>Creates the exception.</summary>
    public LayerDecryptionException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    public LayerDecryptionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
