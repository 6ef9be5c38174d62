namespace GuestPull.Unpack;

/// <summary>Why an entry (or part of it) was not applied as written.</summary>
public enum LayerWarningKind
{
    /// <summary>A device node could not be created (no CAP_MKNOD, e.g. in a user namespace) and was skipped.</summary>
    DeviceSkipped,

    /// <summary>The file system does not support an extended attribute (EOPNOTSUPP); it was dropped.</summary>
    ExtendedAttributeUnsupported,

    /// <summary>A hard link pointed at a device that was skipped; the link was skipped too.</summary>
    HardLinkSkipped,

    /// <summary>AUFS metadata (<c>.wh..wh.*</c>) was ignored.</summary>
    AufsMetadataIgnored,
}
