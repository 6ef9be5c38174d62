namespace GuestPull.Testing;

/// File modes, in one place so the platform check (the fixtures drive Linux tools only) is not repeated.
internal static class UnixFiles
{
    public static void SetMode(string path, UnixFileMode mode)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("The GuestPull test fixtures run on Linux only.");
        }

        File.SetUnixFileMode(path, mode);
    }
}
