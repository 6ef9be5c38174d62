namespace GuestPull.Images.Signatures;

/// <summary>A signature did not verify or its payload is unacceptable; the message says why.</summary>
internal sealed class SignatureVerificationException : Exception
{
    public SignatureVerificationException(string message)
        : base(message)
    {
    }

    public SignatureVerificationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
