using System.Runtime.InteropServices;

namespace GuestPull.Linux;

/// <summary>A system call failed; the message names the call, its path(s) and the error.</summary>
public sealed class NativeCallException : IOException
{
    /// <summary>Creates the exception for a failed call.</summary>
    /// <param name="errno">The errno the call reported.</param>
    /// <param name="syscall">The system call's name, e.g. <c>openat2</c>.</param>
    /// <param name="path">The path argument, when the call has one.</param>
    /// <param name="secondPath">The second path argument (link, rename), when the call has one.</param>
    public NativeCallException(int errno, string syscall, string? path = null, string? secondPath = null)
        : base(FormatMessage(errno, syscall, path, secondPath))
    {
        Errno = errno;
        Syscall = syscall;
        Path = path;
        SecondPath = secondPath;
        HResult = errno;
    }

    /// <summary>The errno value.</summary>
    public int Errno { get; }

    /// <summary>The system call that failed.</summary>
    public string Syscall { get; }

    /// <summary>The path argument, if any.</summary>
    public string? Path { get; }

    /// <summary>The second path argument, if any.</summary>
    public string? SecondPath { get; }

    private static string FormatMessage(int errno, string syscall, string? path, string? secondPath)
    {
        var target = (path, secondPath) switch
        {
            (null, null) => string.Empty,
            (not null, null) => $"'{path}'",
            (null, not null) => $"'{secondPath}'",
            _ => $"'{path}', '{secondPath}'",
        };
        return $"{syscall}({target}) failed: {Marshal.GetPInvokeErrorMessage(errno)} ({GuestPull.Linux.Errno.Name(errno)})";
    }
}
