namespace GuestPull.Ocicrypt.Keys;

/// <summary>A decryption key could not be read: missing file, not a private key, wrong password.</summary>
public sealed class KeyLoadException : Exception
{
    /// <summary>Creates the exception.</summary>
    public KeyLoadException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    public KeyLoadException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
