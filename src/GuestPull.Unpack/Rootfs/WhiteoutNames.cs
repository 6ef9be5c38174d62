namespace GuestPull.Unpack.Rootfs;

/// <summary>The OCI (AUFS-derived) whiteout naming convention.</summary>
internal static class WhiteoutNames
{
    /// <summary><c>.wh.NAME</c> removes NAME from the layers below.</summary>
    public const string Prefix = ".wh.";

    /// <summary>AUFS bookkeeping (<c>.wh..wh.plnk</c>, <c>.wh..wh.aufs</c>, ...): never content.</summary>
    public const string MetaPrefix = ".wh..wh.";

    /// <summary>Marks its directory opaque: lower layers' content of it is hidden.</summary>
    public const string Opaque = ".wh..wh..opq";
}
