namespace GuestPull.Images.Store;

/// <summary>
/// An exclusive lock between processes: the lock file opened with <see cref="FileShare.None"/>,
/// which .NET on Linux backs with flock(LOCK_EX|LOCK_NB). The kernel drops it when the holder
/// exits, so a crashed process never leaves a stale lock.
/// </summary>
internal static class LayerFileLock
{
    // .NET on Unix reports flock's EWOULDBLOCK as a sharing violation whose HResult is the raw errno.
    private const int SharingViolation = GuestPull.Linux.Errno.EAGAIN;

    /// <summary>Takes the lock, waiting (polling every <paramref name="retryDelay"/>) while another holder has it.</summary>
    public static async Task<FileStream> AcquireAsync(string path, TimeSpan retryDelay, CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (TryAcquire(path, FileShare.None) is { } stream)
            {
                return stream;
            }

            await Task.Delay(retryDelay, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Takes the lock if nobody holds it (exclusive for <see cref="FileShare.None"/>, shared otherwise); null when held.</summary>
    public static FileStream? TryAcquire(string path, FileShare share)
    {
        try
        {
            return new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.OpenOrCreate,
                Access = FileAccess.ReadWrite,
                Share = share,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
        }
        catch (IOException e) when (e.HResult == SharingViolation)
        {
            return null;
        }
    }
}
