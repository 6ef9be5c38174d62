using System.Runtime.InteropServices;

namespace GuestPull.Linux.Interop;

internal static partial class LibC
{
    /// <summary>CLONE_NEWNET: setns's namespace type for a network namespace.</summary>
    internal const int CloneNewNet = 0x40000000;

    [LibraryImport(Library, EntryPoint = "setns", SetLastError = true)]
    internal static partial int SetNs(int fd, int namespaceType);
}
