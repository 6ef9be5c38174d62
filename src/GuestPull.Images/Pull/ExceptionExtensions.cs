using System.Runtime.ExceptionServices;

namespace GuestPull.Images.Pull;

internal static class ExceptionExtensions
{
    /// <summary>Rethrows with the original stack trace; typed as returning so callers can write <c>throw ex.Rethrow()</c>.</summary>
    public static Exception Rethrow(this Exception exception)
    {
        ExceptionDispatchInfo.Capture(exception).Throw();
        return exception;
    }
}
