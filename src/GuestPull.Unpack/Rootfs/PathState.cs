namespace GuestPull.Unpack.Rootfs;

/// <summary>What the current layer has said about a path so far.</summary>
internal enum PathState : byte
{
    /// <summary>A parent of some entry of this layer, never named by an entry itself.</summary>
    ImplicitDirectory,

    /// <summary>A directory entry.</summary>
    Directory,

    /// <summary>Any other entry (file, link, device, opaque marker).</summary>
    NonDirectory,

    /// <summary>The target of a <c>.wh.</c> whiteout.</summary>
    Whiteout,
}
