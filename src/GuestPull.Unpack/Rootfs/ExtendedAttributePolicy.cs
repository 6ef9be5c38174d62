namespace GuestPull.Unpack.Rootfs;

/// <summary>Which extended attributes a layer may set.</summary>
internal static class ExtendedAttributePolicy
{
    /// <summary>
    /// overlayfs keeps its own state (opaque, redirect, metacopy, whiteout, origin...) in
    /// trusted.overlay.* (user.overlay.* with userxattr): a layer that sets them could hide or
    /// redirect lower files once mounted, so they only ever come from our own whiteout conversion.
    /// </summary>
    public static void EnsureAllowed(string name, string path)
    {
        if (name.StartsWith("trusted.overlay.", StringComparison.Ordinal) || name.StartsWith("user.overlay.", StringComparison.Ordinal))
        {
            throw new InvalidLayerException($"entry '{path}' sets extended attribute '{name}'; overlayfs attributes are not allowed in layers");
        }

        // GuestPull's own records on unpacked layers (links into lower layers, implicit directories):
        // a layer that set them could make the bundle writer link or copy what it chose.
        if (name.StartsWith(LowerLayerHardLinks.AttributePrefix, StringComparison.Ordinal) || name.StartsWith("user.guestpull.", StringComparison.Ordinal))
        {
            throw new InvalidLayerException($"entry '{path}' sets extended attribute '{name}'; GuestPull's own attributes are not allowed in layers");
        }
    }
}
