namespace GuestPull.Unpack.Tar;

/// <summary>The kinds of file entry a layer may hold (meta headers never reach callers).</summary>
internal enum TarEntryType
{
    RegularFile,
    HardLink,
    SymbolicLink,
    CharacterDevice,
    BlockDevice,
    Directory,
    Fifo,
}
