namespace GuestPull.Images.Signatures;

/// <summary>
/// One cosign signature: a layer of media type <c>application/vnd.dev.cosign.simplesigning.v1+json</c>
/// (the payload) and its <c>dev.cosignproject.cosign/signature</c> annotation (base64 signature).
/// <see cref="Error"/> is set instead when the layer could not be read intact.
/// </summary>
internal sealed record SigstoreSignature(string Source, byte[]? Payload, string? SignatureBase64, string? Error = null)
{
    public const string PayloadMediaType = "application/vnd.dev.cosign.simplesigning.v1+json";
    public const string SignatureAnnotation = "dev.cosignproject.cosign/signature";
}
