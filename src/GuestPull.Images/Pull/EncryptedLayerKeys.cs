using GuestPull.Oci.Model;
using GuestPull.Ocicrypt;
using GuestPull.Unpack;

namespace GuestPull.Images.Pull;

/// <summary>
/// The pull's first step for encrypted layers: every layer key is unwrapped before anything is looked up
/// in the store or downloaded, so a node without a usable key fails at once, naming the layer, its
/// recipients and the keys tried, and a cached layer is used only by a pull that holds its key.
/// </summary>
internal static class EncryptedLayerKeys
{
    private static readonly LayerKeyUnwrapper NoKeys = new([], null);

    /// <summary>Checks the layers' media types and unwraps the keys of the encrypted ones (null for plain layers).</summary>
    public static async Task<IReadOnlyList<UnwrappedLayerKey?>> UnwrapAsync(ImageReference reference, IReadOnlyList<Descriptor> layers, LayerKeyUnwrapper? unwrapper, CancellationToken cancellationToken)
    {
        var keys = new UnwrappedLayerKey?[layers.Count];
        for (var i = 0; i < layers.Count; i++)
        {
            var layer = layers[i];
            var encrypted = EncryptedMediaTypes.IsEncrypted(layer.MediaType);
            if (!LayerDecompressor.IsSupported(EncryptedMediaTypes.Decrypted(layer.MediaType)))
            {
                throw new OciFormatException($"{reference}: layer {layer.Digest} has unsupported media type {layer.MediaType}");
            }

            if (!encrypted)
            {
                continue;
            }

            try
            {
                keys[i] = await (unwrapper ?? NoKeys).UnwrapAsync(layer, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is LayerKeyUnavailableException or LayerDecryptionException)
            {
                throw new LayerPullException($"{reference}: {e.Message}", e);
            }
        }

        return keys;
    }
}
