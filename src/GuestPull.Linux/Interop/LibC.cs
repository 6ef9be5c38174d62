using System.Reflection;
using System.Runtime.InteropServices;

namespace GuestPull.Linux.Interop;

/// <summary>
/// Every libc entry point GuestPull calls. One partial class per area (file system, extended
/// attributes, ...) so the library resolver below is registered exactly once for the assembly.
/// </summary>
internal static partial class LibC
{
    internal const string Library = "libc";

    static LibC()
    {
        // "libc" alone resolves differently per distribution: glibc ships libc.so as a linker script
        // (not loadable) and the real library as libc.so.6; musl's libc.so is the library itself.
        NativeLibrary.SetDllImportResolver(typeof(LibC).Assembly, ResolveLibrary);
    }

    private static IntPtr ResolveLibrary(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != Library)
        {
            return IntPtr.Zero;
        }

        foreach (var candidate in (ReadOnlySpan<string>)["libc.so.6", "libc.so", "libc.musl-x86_64.so.1", "libc.musl-aarch64.so.1"])
        {
            if (NativeLibrary.TryLoad(candidate, out var handle))
            {
                return handle;
            }
        }

        return IntPtr.Zero;
    }
}
