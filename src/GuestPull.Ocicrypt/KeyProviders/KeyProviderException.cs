namespace GuestPull.Ocicrypt.KeyProviders;

/// <summary>A key provider failed to unwrap a key: it could not be reached, refused, or answered nonsense.</summary>
public sealed class KeyProviderException : Exception
{
    /// <summary>Creates the exception.</summary>
    public KeyProviderException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    public KeyProviderException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
