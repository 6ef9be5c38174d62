using System.Runtime.InteropServices;

namespace GuestPull.Agent.Containers;

internal static partial class NativeSignals
{
    private const int NoSuchProcess = 3;

    /// <summary>Sends a signal; false when the process is already gone.</summary>
    public static bool Send(int pid, int signal)
    {
        if (Kill(pid, signal) == 0)
        {
            return true;
        }

        var errno = Marshal.GetLastPInvokeError();
        return errno == NoSuchProcess
            ? false
            : throw new IOException($"kill({pid}, {signal}) failed: {Marshal.GetPInvokeErrorMessage(errno)}");
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
