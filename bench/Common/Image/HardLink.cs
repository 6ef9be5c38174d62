using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace GuestPull.Bench.Common.Image;

/// .NET has no API for hardlinks; the image's small-file layer wants some.
[SupportedOSPlatform("linux")]
internal static partial class HardLink
{
    public static void Create(string existing, string created)
    {
        if (Link(existing, created) != 0)
        {
            throw new IOException($"link({existing}, {created}) failed with errno {Marshal.GetLastPInvokeError()}.");
        }
    }

    [LibraryImport("libc", EntryPoint = "link", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Link(string existing, string created);
}
