namespace GuestPull.Linux;

/// <summary>
/// Portable open(2) flags. The native values of some flags (O_DIRECTORY, O_NOFOLLOW) differ between
/// architectures, so callers use these and <see cref="FileSystemCalls"/> translates them.
/// O_CLOEXEC is always added.
/// </summary>
[Flags]
public enum OpenFlags
{
    /// <summary>O_RDONLY.</summary>
    ReadOnly = 0,

    /// <summary>O_WRONLY.</summary>
    WriteOnly = 1 << 0,

    /// <summary>O_RDWR.</summary>
    ReadWrite = 1 << 1,

    /// <summary>O_CREAT.</summary>
    Create = 1 << 2,

    /// <summary>O_EXCL.</summary>
    Exclusive = 1 << 3,

    /// <summary>O_TRUNC.</summary>
    Truncate = 1 << 4,

    /// <summary>O_DIRECTORY.</summary>
    Directory = 1 << 5,

    /// <summary>O_NOFOLLOW: fail (or, with <see cref="Path"/>, open the link itself) if the last component is a symlink.</summary>
    NoFollow = 1 << 6,

    /// <summary>O_PATH: a descriptor that only locates the object.</summary>
    Path = 1 << 7,

    /// <summary>O_NONBLOCK.</summary>
    NonBlocking = 1 << 8,

    /// <summary>O_NOCTTY.</summary>
    NoControllingTerminal = 1 << 9,

    /// <summary>O_APPEND.</summary>
    Append = 1 << 10,
}
