using System.Globalization;
using GuestPull.Linux;

namespace GuestPull.Testing;

/// One file as a tree comparison sees it. <see cref="HardLinks"/> lists every path of the tree that
/// shares the inode (empty for a single link); <see cref="ModificationSeconds"/> is null unless asked for.
public sealed record TreeEntry(
    FileType Type,
    uint Permissions,
    uint Uid,
    uint Gid,
    long Size,
    string? Sha256,
    string? LinkTarget,
    ulong DeviceNumber,
    string Xattrs,
    long? ModificationSeconds = null,
    string HardLinks = "")
{
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"{Type} {Convert.ToString(Permissions, 8)} {Uid}:{Gid} size={Size} sha={Sha256?[..12]} link={LinkTarget} rdev={DeviceNumber} xattrs=[{Xattrs}] mtime={ModificationSeconds} links=[{HardLinks}]");
}
