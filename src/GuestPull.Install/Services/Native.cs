using System.Runtime.InteropServices;

namespace GuestPull.Install.Services;

/// <summary>The one signal call process management needs.</summary>
internal static partial class Native
{
    public const int SigTerm = 15;
    public const int SigKill = 9;

    /// <summary>Whether a process with that id exists (signal 0).</summary>
    public static bool IsAlive(int pid) => pid > 0 && Kill(pid, 0) == 0;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);
}
