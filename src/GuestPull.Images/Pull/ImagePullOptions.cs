using GuestPull.Images.Signatures;

namespace GuestPull.Images.Pull;

/// <summary>Settings of an <see cref="ImagePuller"/>.</summary>
public sealed record ImagePullOptions
{
    /// <summary>How many layers are downloaded and unpacked at once.</summary>
    public int MaxConcurrentLayers { get; init; } = 3;

    /// <summary>
    /// The largest uncompressed layer accepted (stops decompression bombs). Null (the default) bounds
    /// each layer by the free space of the store's file system when the layer starts: a layer that
    /// cannot fit fails at once, naming the bound, instead of filling the disk (or guest memory).
    /// </summary>
    public long? MaxLayerSize { get; init; }

    /// <summary>
    /// The signature policy every pull must pass, checked after the manifest and config are
    /// resolved and before any layer is looked up or downloaded — also when every layer is cached.
    /// Null pulls without checking signatures.
    /// </summary>
    public PolicyEvaluator? Policy { get; init; }

    /// <summary>
    /// Unwraps the keys of encrypted (ocicrypt) layers, before any layer is looked up or downloaded. Null
    /// decrypts nothing: an image with an encrypted layer then fails, naming the layer and its recipients.
    /// </summary>
    public Ocicrypt.LayerKeyUnwrapper? Decryption { get; init; }
}
