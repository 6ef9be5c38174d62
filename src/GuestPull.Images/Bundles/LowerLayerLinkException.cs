using GuestPull.Unpack;

namespace GuestPull.Images.Bundles;

/// <summary>A link into a lower layer that cannot be resolved; <see cref="Layer"/> is the index of the layer that holds it.</summary>
internal sealed class LowerLayerLinkException(int layer, string message) : InvalidLayerException(message)
{
    public int Layer { get; } = layer;
}
