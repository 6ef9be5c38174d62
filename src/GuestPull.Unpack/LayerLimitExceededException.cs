namespace GuestPull.Unpack;

/// <summary>A layer exceeds a configured cap (uncompressed size, entries, path length, header sizes).</summary>
public class LayerLimitExceededException : InvalidLayerException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">Which cap and its value.</param>
    public LayerLimitExceededException(string message)
        : base(message)
    {
    }
}
