namespace GuestPull.Snapshotter.Storage;

/// <summary>
/// Directory and file permission calls in one place, guarded so the platform analyzer does not push
/// a Linux-only annotation onto every caller (the CLI included).
/// </summary>
internal static class UnixModes
{
    public const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public static void CreateDirectory(string path, UnixFileMode mode)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("the snapshotter runs on Linux only");
        }
        Directory.CreateDirectory(path, mode);
    }

    public static void Set(string path, UnixFileMode mode)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("the snapshotter runs on Linux only");
        }
        File.SetUnixFileMode(path, mode);
    }
}
