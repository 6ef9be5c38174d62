namespace GuestPull.Linux;

/// <summary>Linux errno values (the same on x86-64 and arm64) that callers test for.</summary>
public static class Errno
{
    /// <summary>Operation not permitted.</summary>
    public const int EPERM = 1;

    /// <summary>No such file or directory.</summary>
    public const int ENOENT = 2;

    /// <summary>No such process.</summary>
    public const int ESRCH = 3;

    /// <summary>Interrupted system call.</summary>
    public const int EINTR = 4;

    /// <summary>I/O error.</summary>
    public const int EIO = 5;

    /// <summary>Argument list too long (also: extended attribute value too large).</summary>
    public const int E2BIG = 7;

    /// <summary>Bad file descriptor.</summary>
    public const int EBADF = 9;

    /// <summary>No child processes.</summary>
    public const int ECHILD = 10;

    /// <summary>Try again.</summary>
    public const int EAGAIN = 11;

    /// <summary>Permission denied.</summary>
    public const int EACCES = 13;

    /// <summary>Device or resource busy.</summary>
    public const int EBUSY = 16;

    /// <summary>File exists.</summary>
    public const int EEXIST = 17;

    /// <summary>Cross-device link.</summary>
    public const int EXDEV = 18;

    /// <summary>Not a directory.</summary>
    public const int ENOTDIR = 20;

    /// <summary>Is a directory.</summary>
    public const int EISDIR = 21;

    /// <summary>Invalid argument.</summary>
    public const int EINVAL = 22;

    /// <summary>No space left on device.</summary>
    public const int ENOSPC = 28;

    /// <summary>Read-only file system.</summary>
    public const int EROFS = 30;

    /// <summary>Too many links.</summary>
    public const int EMLINK = 31;

    /// <summary>Result out of range (also: extended attribute buffer too small).</summary>
    public const int ERANGE = 34;

    /// <summary>File name too long.</summary>
    public const int ENAMETOOLONG = 36;

    /// <summary>Function not implemented (system call unknown to this kernel).</summary>
    public const int ENOSYS = 38;

    /// <summary>Directory not empty.</summary>
    public const int ENOTEMPTY = 39;

    /// <summary>Too many levels of symbolic links.</summary>
    public const int ELOOP = 40;

    /// <summary>No data available (also: extended attribute not present).</summary>
    public const int ENODATA = 61;

    /// <summary>Operation not supported (ENOTSUP has the same value on Linux).</summary>
    public const int EOPNOTSUPP = 95;

    /// <summary>Returns the symbolic name of <paramref name="errno"/>, or its number when unknown.</summary>
    /// <param name="errno">The error number.</param>
    public static string Name(int errno) => errno switch
    {
        EPERM => "EPERM",
        ENOENT => "ENOENT",
        ESRCH => "ESRCH",
        EINTR => "EINTR",
        EIO => "EIO",
        E2BIG => "E2BIG",
        EBADF => "EBADF",
        ECHILD => "ECHILD",
        EAGAIN => "EAGAIN",
        EACCES => "EACCES",
        EBUSY => "EBUSY",
        EEXIST => "EEXIST",
        EXDEV => "EXDEV",
        ENOTDIR => "ENOTDIR",
        EISDIR => "EISDIR",
        EINVAL => "EINVAL",
        ENOSPC => "ENOSPC",
        EROFS => "EROFS",
        EMLINK => "EMLINK",
        ERANGE => "ERANGE",
        ENAMETOOLONG => "ENAMETOOLONG",
        ENOSYS => "ENOSYS",
        ENOTEMPTY => "ENOTEMPTY",
        ELOOP => "ELOOP",
        ENODATA => "ENODATA",
        EOPNOTSUPP => "EOPNOTSUPP",
        _ => "errno " + errno.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
