namespace GuestPull.Ocicrypt;

/// <summary>The wrapped keys of one key wrapper on a layer: one annotation, comma-separated base64 entries.</summary>
/// <param name="Annotation">The annotation name, e.g. <c>org.opencontainers.image.enc.keys.jwe</c>.</param>
/// <param name="Scheme">The key wrapper: <c>jwe</c>, <c>provider.NAME</c>, <c>pkcs7</c>, …</param>
/// <param name="Entries">The decoded entries, in order.</param>
public sealed record WrappedKeyGroup(string Annotation, string Scheme, IReadOnlyList<byte[]> Entries)
{
    /// <summary>The provider's name for a <c>provider.NAME</c> group, else null.</summary>
    public string? ProviderName => Scheme.StartsWith("provider.", StringComparison.Ordinal) ? Scheme["provider.".Length..] : null;
}
