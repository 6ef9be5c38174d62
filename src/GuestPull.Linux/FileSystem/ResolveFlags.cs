namespace GuestPull.Linux;

/// <summary>openat2(2) RESOLVE_* flags (the same on every architecture).</summary>
[Flags]
public enum ResolveFlags : ulong
{
    /// <summary>No restriction.</summary>
    None = 0,

    /// <summary>RESOLVE_NO_XDEV: do not cross mount points.</summary>
    NoCrossDevice = 0x01,

    /// <summary>RESOLVE_NO_MAGICLINKS: refuse /proc-style magic links.</summary>
    NoMagicLinks = 0x02,

    /// <summary>RESOLVE_NO_SYMLINKS: refuse every symlink.</summary>
    NoSymlinks = 0x04,

    /// <summary>RESOLVE_BENEATH: fail if resolution would leave the directory.</summary>
    Beneath = 0x08,

    /// <summary>RESOLVE_IN_ROOT: treat the directory as "/" ("..", absolute symlinks stay inside).</summary>
    InRoot = 0x10,
}
