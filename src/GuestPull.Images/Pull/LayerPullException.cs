namespace GuestPull.Images.Pull;

/// <summary>A layer could not be unpacked; the message names the layer digest, the image and the reason.</summary>
public sealed class LayerPullException : Exception
{
    /// <summary>Creates the exception.</summary>
    public LayerPullException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
