namespace GuestPull.Api.Kata;

/// <summary>A <c>io.katacontainers.volume=</c> mount option that is not a Kata volume; the message names what is wrong.</summary>
public sealed class KataVolumeFormatException : FormatException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong with the option.</param>
    /// <param name="innerException">The decoding error, if any.</param>
    public KataVolumeFormatException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
