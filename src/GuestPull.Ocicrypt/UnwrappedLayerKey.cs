using GuestPull.Ocicrypt.Cipher;

namespace GuestPull.Ocicrypt;

/// <summary>A layer's unwrapped cipher options and which key or provider unwrapped them.</summary>
/// <param name="Options">The cipher options.</param>
/// <param name="Source">The key file or provider that worked, for logs.</param>
public sealed record UnwrappedLayerKey(LayerCipherOptions Options, string Source)
{
    /// <summary>Wraps <paramref name="ciphertext"/> in a stream that decrypts and verifies it.</summary>
    /// <param name="ciphertext">The encrypted blob.</param>
    /// <param name="leaveOpen">Keep <paramref name="ciphertext"/> open when the returned stream is disposed.</param>
    public Stream OpenDecryptingStream(Stream ciphertext, bool leaveOpen = false) => new AesCtrHmacDecryptingStream(ciphertext, Options, leaveOpen);
}
