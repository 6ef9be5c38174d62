using GuestPull.Testing;

namespace GuestPull.Bench.Pull.Contenders;

/// An optional tmpfs that every temp directory of the run (registry storage, containerd roots, layer
/// stores, bundles) lands on, via TMPDIR: the guest pulls into RAM, and a long-lived ext4 disk spends
/// much of a file-heavy pull scanning for free inodes after earlier runs' deletions.
internal sealed class ScratchFileSystem : IAsyncDisposable
{
    private readonly string? _mountPoint;
    private readonly string? _previousTmpDir;

    private ScratchFileSystem(string? mountPoint, string? previousTmpDir)
    {
        _mountPoint = mountPoint;
        _previousTmpDir = previousTmpDir;
    }

    /// Describes where the run's files live, for the report.
    public string Description => _mountPoint is null ? $"disk ({Path.GetTempPath()})" : $"tmpfs ({_mountPoint})";

    /// With a null size nothing is mounted and TMPDIR is left alone.
    public static async Task<ScratchFileSystem> CreateAsync(string? size, CancellationToken cancellationToken)
    {
        if (size is null)
        {
            return new ScratchFileSystem(null, null);
        }

        var mountPoint = Directory.CreateTempSubdirectory("guestpull-bench-tmpfs-").FullName;
        try
        {
            await ProcessRunner.RunAsync("mount", ["-t", "tmpfs", "-o", $"size={size},mode=0755", "tmpfs", mountPoint], cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Directory.Delete(mountPoint);
            throw;
        }

        var previous = Environment.GetEnvironmentVariable("TMPDIR");
        Environment.SetEnvironmentVariable("TMPDIR", mountPoint);
        return new ScratchFileSystem(mountPoint, previous);
    }

    public async ValueTask DisposeAsync()
    {
        if (_mountPoint is null)
        {
            return;
        }

        Environment.SetEnvironmentVariable("TMPDIR", _previousTmpDir);
        await Cleanup.UnmountUnderAsync(_mountPoint, CancellationToken.None).ConfigureAwait(false);
        Directory.Delete(_mountPoint);
    }
}
