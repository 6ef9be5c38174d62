namespace GuestPull.Images.Signatures;

/// <summary>
/// A containers-policy.json or registries.d file is malformed. The message names the file and the
/// field (<c>transports.docker["example.com"][0].keyPath</c>) so the mistake can be found.
/// </summary>
public sealed class PolicyFormatException : FormatException
{
    /// <summary>Creates the exception.</summary>
    public PolicyFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    public PolicyFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
