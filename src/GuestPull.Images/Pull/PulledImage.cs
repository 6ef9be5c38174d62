using GuestPull.Images.Signatures;
using GuestPull.Images.Store;
using GuestPull.Oci.Registry;

namespace GuestPull.Images.Pull;

/// <summary>The result of a pull: the image as resolved, its record in the store, and its layer directories.</summary>
public sealed record PulledImage
{
    /// <summary>The resolved image (manifest, config, which host served it).</summary>
    public required ResolvedImage Image { get; init; }

    /// <summary>The store's record of the image.</summary>
    public required ImageRecord Record { get; init; }

    /// <summary>The unpacked layer directories, base first, ready to be a bundle's lower layers.</summary>
    public required IReadOnlyList<string> LayerDirectories { get; init; }

    /// <summary>How many layers were downloaded by this pull.</summary>
    public int LayersDownloaded { get; init; }

    /// <summary>How many layers were already in the store.</summary>
    public int LayersCached { get; init; }

    /// <summary>The signature policy's decision (always an acceptance), or null when no policy was set.</summary>
    public PolicyDecision? PolicyDecision { get; init; }
}
