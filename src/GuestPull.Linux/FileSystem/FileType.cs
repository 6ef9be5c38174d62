namespace GuestPull.Linux;

/// <summary>The type bits (S_IFMT) of a file's mode.</summary>
public enum FileType
{
    /// <summary>A type this enum does not name.</summary>
    Unknown = 0,

    /// <summary>S_IFIFO.</summary>
    Fifo = 0x1000,

    /// <summary>S_IFCHR.</summary>
    CharacterDevice = 0x2000,

    /// <summary>S_IFDIR.</summary>
    Directory = 0x4000,

    /// <summary>S_IFBLK.</summary>
    BlockDevice = 0x6000,

    /// <summary>S_IFREG.</summary>
    RegularFile = 0x8000,

    /// <summary>S_IFLNK.</summary>
    SymbolicLink = 0xA000,

    /// <summary>S_IFSOCK.</summary>
    Socket = 0xC000,
}
