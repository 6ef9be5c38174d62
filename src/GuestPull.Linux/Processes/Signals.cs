using System.Globalization;
using System.Runtime.InteropServices;
using GuestPull.Linux.Interop;

namespace GuestPull.Linux;

/// <summary>kill(2): sending signals to processes and process groups.</summary>
public static class Signals
{
    /// <summary>SIGKILL.</summary>
    public const int Kill = 9;

    /// <summary>SIGTERM.</summary>
    public const int Terminate = 15;

    /// <summary>kill(2). Returns 0 or the errno (ESRCH: no such process; EPERM: not ours to signal).</summary>
    /// <param name="pid">The process id; a negative value names the process group -<paramref name="pid"/>.</param>
    /// <param name="signal">The signal number; 0 only checks that the process can be signalled.</param>
    public static int TrySend(int pid, int signal)
        => LibC.Kill(pid, signal) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>kill(2). Returns false when the process is already gone (ESRCH); throws on other errors.</summary>
    /// <param name="pid">The process id; a negative value names the process group -<paramref name="pid"/>.</param>
    /// <param name="signal">The signal number.</param>
    public static bool Send(int pid, int signal)
    {
        var errno = TrySend(pid, signal);
        return errno switch
        {
            0 => true,
            Errno.ESRCH => false,
            _ => throw new NativeCallException(
                errno,
                "kill",
                pid.ToString(CultureInfo.InvariantCulture),
                signal.ToString(CultureInfo.InvariantCulture)),
        };
    }
}
