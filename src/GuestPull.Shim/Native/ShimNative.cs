using System.Runtime.InteropServices;

namespace GuestPull.Shim.Native;

/// <summary>The few libc calls the shim needs that GuestPull.Linux does not offer.</summary>
internal static partial class ShimNative
{
    public const int SigKill = 9;

    /// <summary>MS_SHARED: mounts below propagate to the copies in other mount namespaces.</summary>
    public const ulong MountShared = 0x100000;

    /// <summary>kill(2); true when the signal was sent, false when the process is gone.</summary>
    public static bool TryKill(int pid, int signal) => Kill(pid, signal) == 0;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
