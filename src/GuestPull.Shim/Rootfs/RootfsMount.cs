namespace GuestPull.Shim.Rootfs;

/// <summary>One rootfs mount containerd hands the shim (containerd.types.Mount).</summary>
internal sealed record RootfsMount(string Type, string Source, IReadOnlyList<string> Options)
{
    /// <summary>
    /// Kata's rule: a <c>fuse.</c> type whose base name starts with <c>nydus-overlayfs</c> is never mounted on the host.
    /// </summary>
    public bool IsNydusOverlay =>
        Type.StartsWith("fuse.", StringComparison.Ordinal)
        && Path.GetFileName(Type["fuse.".Length..]).StartsWith("nydus-overlayfs", StringComparison.Ordinal);
}
