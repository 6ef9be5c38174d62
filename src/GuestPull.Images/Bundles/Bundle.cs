namespace GuestPull.Images.Bundles;

/// <summary>An OCI bundle written by <see cref="BundleWriter"/>.</summary>
/// <param name="Directory">The bundle directory.</param>
/// <param name="Mode">How the rootfs was assembled (<see cref="BundleMode.Flatten"/> after a fallback too).</param>
public sealed record Bundle(string Directory, BundleMode Mode)
{
    /// <summary>The root filesystem, <c>rootfs/</c>.</summary>
    public string RootfsPath => Path.Combine(Directory, "rootfs");

    /// <summary>The runtime spec, <c>config.json</c>.</summary>
    public string ConfigPath => Path.Combine(Directory, "config.json");
}
