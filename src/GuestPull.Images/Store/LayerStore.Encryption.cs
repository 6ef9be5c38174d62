using GuestPull.Oci.Model;

namespace GuestPull.Images.Store;

/// <summary>The store's rule for layers that came from encrypted blobs.</summary>
public sealed partial class LayerStore
{
    /// <summary>
    /// Whether a pull may use the stored layer <paramref name="diffId"/> without fetching it: the layer is in
    /// the store and, when it came from an encrypted blob, <paramref name="keyCheck"/> is the check of a key
    /// that decrypted it. Knowing a DiffID (it is public, in the image config) is never enough to reach
    /// content that was encrypted: a pull without the key, or with a plain descriptor, fetches the blob itself.
    /// </summary>
    /// <param name="diffId">The layer's DiffID.</param>
    /// <param name="keyCheck">The key check of the layer key this pull unwrapped, or null when it has none.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    public async Task<bool> IsLayerUsableAsync(Digest diffId, string? keyCheck, CancellationToken cancellationToken = default)
    {
        if (!await HasLayerAsync(diffId, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        var checks = await new LayerKeyCatalog(_database).GetAsync(diffId, cancellationToken).ConfigureAwait(false);
        return checks.Count == 0 || (keyCheck is not null && checks.Contains(keyCheck, StringComparer.Ordinal));
    }

    /// <summary>Whether the stored layer came from an encrypted blob (its use needs the key).</summary>
    /// <param name="diffId">The layer's DiffID.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    public async Task<bool> IsLayerProtectedAsync(Digest diffId, CancellationToken cancellationToken = default)
        => (await new LayerKeyCatalog(_database).GetAsync(diffId, cancellationToken).ConfigureAwait(false)).Count > 0;
}
