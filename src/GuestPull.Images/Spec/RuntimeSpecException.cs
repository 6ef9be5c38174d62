namespace GuestPull.Images.Spec;

/// <summary>An OCI runtime spec cannot be built from an image (nothing to run, unknown user, ...); the message says why.</summary>
public sealed class RuntimeSpecException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong.</param>
    public RuntimeSpecException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    /// <param name="message">What is wrong.</param>
    /// <param name="innerException">The cause.</param>
    public RuntimeSpecException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
