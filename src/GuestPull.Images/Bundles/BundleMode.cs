namespace GuestPull.Images.Bundles;

/// <summary>How a bundle's rootfs is assembled from the layers.</summary>
public enum BundleMode
{
    /// <summary>An overlayfs mount of the layers, with upper and work directories inside the bundle.</summary>
    Overlay,

    /// <summary>A plain directory with the layers copied in order and their whiteouts applied.</summary>
    Flatten,
}
