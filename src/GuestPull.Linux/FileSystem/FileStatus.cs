namespace GuestPull.Linux;

/// <summary>What statx(2) reports about a file.</summary>
public readonly record struct FileStatus
{
    /// <summary>The full mode: type bits and permission bits.</summary>
    public uint Mode { get; init; }

    /// <summary>Owner user id.</summary>
    public uint Uid { get; init; }

    /// <summary>Owner group id.</summary>
    public uint Gid { get; init; }

    /// <summary>Size in bytes.</summary>
    public long Size { get; init; }

    /// <summary>Inode number.</summary>
    public ulong Inode { get; init; }

    /// <summary>Number of hard links.</summary>
    public uint LinkCount { get; init; }

    /// <summary>The device holding the file, as a <c>makedev</c> value.</summary>
    public ulong Device { get; init; }

    /// <summary>For device nodes, the device they stand for, as a <c>makedev</c> value.</summary>
    public ulong DeviceNumber { get; init; }

    /// <summary>Last modification time.</summary>
    public UnixTimestamp ModificationTime { get; init; }

    /// <summary>
    /// Whether the file is the root of a mount (STATX_ATTR_MOUNT_ROOT), or null when the kernel does
    /// not report it (before Linux 5.8).
    /// </summary>
    public bool? IsMountRoot { get; init; }

    /// <summary>The type bits of <see cref="Mode"/>.</summary>
    public FileType Type => (Mode & 0xF000) switch
    {
        0x1000 => FileType.Fifo,
        0x2000 => FileType.CharacterDevice,
        0x4000 => FileType.Directory,
        0x6000 => FileType.BlockDevice,
        0x8000 => FileType.RegularFile,
        0xA000 => FileType.SymbolicLink,
        0xC000 => FileType.Socket,
        _ => FileType.Unknown,
    };

    /// <summary>The permission bits of <see cref="Mode"/> including setuid, setgid and sticky (07777).</summary>
    public uint Permissions => Mode & 0xFFF;

    /// <summary>Whether the file is a directory.</summary>
    public bool IsDirectory => Type == FileType.Directory;

    /// <summary>Whether the file is a symbolic link.</summary>
    public bool IsSymbolicLink => Type == FileType.SymbolicLink;
}
