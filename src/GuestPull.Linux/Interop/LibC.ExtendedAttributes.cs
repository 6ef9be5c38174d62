using System.Runtime.InteropServices;

namespace GuestPull.Linux.Interop;

internal static unsafe partial class LibC
{
    [LibraryImport(Library, EntryPoint = "lsetxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int LSetXattr(string path, string name, byte* value, nuint size, int flags);

    [LibraryImport(Library, EntryPoint = "fsetxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int FSetXattr(SafeFileDescriptor fd, string name, byte* value, nuint size, int flags);

    [LibraryImport(Library, EntryPoint = "lgetxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint LGetXattr(string path, string name, byte* value, nuint size);

    [LibraryImport(Library, EntryPoint = "fgetxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint FGetXattr(SafeFileDescriptor fd, string name, byte* value, nuint size);

    [LibraryImport(Library, EntryPoint = "llistxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint LListXattr(string path, byte* list, nuint size);

    [LibraryImport(Library, EntryPoint = "flistxattr", SetLastError = true)]
    internal static partial nint FListXattr(SafeFileDescriptor fd, byte* list, nuint size);

    [LibraryImport(Library, EntryPoint = "lremovexattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int LRemoveXattr(string path, string name);
}
