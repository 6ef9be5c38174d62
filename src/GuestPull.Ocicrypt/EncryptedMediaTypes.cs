namespace GuestPull.Ocicrypt;

/// <summary>
/// ocicrypt's layer media types: a plain layer type with <c>+encrypted</c> appended
/// (<c>application/vnd.oci.image.layer.v1.tar+gzip+encrypted</c>, <c>…tar+zstd+encrypted</c>, <c>…tar+encrypted</c>,
/// and the nondistributable variants).
/// </summary>
public static class EncryptedMediaTypes
{
    /// <summary>The suffix ocicrypt appends to the plain media type.</summary>
    public const string Suffix = "+encrypted";

    /// <summary>Whether <paramref name="mediaType"/> names an encrypted layer.</summary>
    /// <param name="mediaType">A descriptor's media type.</param>
    public static bool IsEncrypted(string mediaType)
    {
        ArgumentNullException.ThrowIfNull(mediaType);
        return mediaType.EndsWith(Suffix, StringComparison.Ordinal);
    }

    /// <summary>The media type of the layer once decrypted (the suffix removed); other types unchanged.</summary>
    /// <param name="mediaType">A descriptor's media type.</param>
    public static string Decrypted(string mediaType)
        => IsEncrypted(mediaType) ? mediaType[..^Suffix.Length] : mediaType;
}
