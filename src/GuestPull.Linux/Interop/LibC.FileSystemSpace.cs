using System.Runtime.InteropServices;

namespace GuestPull.Linux.Interop;

internal static unsafe partial class LibC
{
    [LibraryImport(Library, EntryPoint = "statvfs", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Statvfs(string path, StatvfsBuffer* buffer);

    /// <summary>struct statvfs as glibc lays it out on 64-bit Linux (every field a long, then six spare ints).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct StatvfsBuffer
    {
        public ulong BlockSize;
        public ulong FragmentSize;
        public ulong Blocks;
        public ulong FreeBlocks;
        public ulong AvailableBlocks;
        public ulong Files;
        public ulong FreeFiles;
        public ulong AvailableFiles;
        public ulong FileSystemId;
        public ulong Flags;
        public ulong MaxNameLength;
        public fixed int Spare[6];
    }
}
