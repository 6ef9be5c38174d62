namespace GuestPull.Unpack;

/// <summary>
/// A layer is malformed or hostile (bad tar structure, an entry that would escape or replace the
/// root, a forbidden attribute, ...). The message names the entry and the problem.
/// </summary>
public class InvalidLayerException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong, naming the entry.</param>
    public InvalidLayerException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    /// <param name="message">What is wrong, naming the entry.</param>
    /// <param name="innerException">The underlying error.</param>
    public InvalidLayerException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
