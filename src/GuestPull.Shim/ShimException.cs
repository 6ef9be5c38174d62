namespace GuestPull.Shim;

/// <summary>The shim cannot do what containerd asked; the message names the problem.</summary>
public sealed class ShimException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong, naming the input at fault.</param>
    public ShimException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    /// <param name="message">What went wrong, naming the input at fault.</param>
    /// <param name="innerException">The cause.</param>
    public ShimException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
