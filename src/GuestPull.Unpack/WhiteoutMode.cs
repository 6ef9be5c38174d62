namespace GuestPull.Unpack;

/// <summary>What OCI whiteout entries (<c>.wh.NAME</c>, <c>.wh..wh..opq</c>) turn into on disk.</summary>
public enum WhiteoutMode
{
    /// <summary>
    /// Flatten onto the layers below, already in the root: <c>.wh.NAME</c> deletes NAME, an opaque
    /// marker deletes the directory's content that did not come from this layer.
    /// </summary>
    Apply,

    /// <summary>
    /// Keep the layer in its own directory for use as an overlayfs lower: <c>.wh.NAME</c> becomes a
    /// 0:0 character device at NAME, an opaque marker becomes <c>trusted.overlay.opaque=y</c>.
    /// </summary>
    Overlay,
}
