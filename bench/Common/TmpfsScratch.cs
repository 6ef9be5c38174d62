using System.Runtime.Versioning;
using GuestPull.Linux;
using GuestPull.Testing;

namespace GuestPull.Bench.Common;

/// <summary>
/// An optional tmpfs that every temp directory of a benchmark run (registry storage, containerd roots,
/// stores) lands on, via TMPDIR: a Kata guest pulls into RAM, and a long-lived ext4 disk spends much
/// of a file-heavy unpack scanning for free inodes after earlier runs' deletions.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class TmpfsScratch : IAsyncDisposable
{
    private readonly string? _mountPoint;
    private readonly string? _previousTmpDir;

    private TmpfsScratch(string? mountPoint, string? previousTmpDir)
    {
        _mountPoint = mountPoint;
        _previousTmpDir = previousTmpDir;
    }

    /// <summary>Where the run's files live, for the report.</summary>
    public string Description => _mountPoint is null ? $"disk ({Path.GetTempPath()})" : $"tmpfs ({_mountPoint})";

    /// <summary>
    /// Mounts a tmpfs of <paramref name="size"/> (mount's syntax, e.g. 6g) on a new directory
    /// <c>gpbXXXX</c> under <paramref name="parent"/> (short, as paths below it may hold unix sockets)
    /// and points TMPDIR at it; with a null size nothing is mounted.
    /// </summary>
    public static async Task<TmpfsScratch> CreateAsync(string? size, string parent, CancellationToken cancellationToken)
    {
        if (size is null)
        {
            return new TmpfsScratch(null, null);
        }

        var mountPoint = Path.Combine(parent, "gpb" + Guid.NewGuid().ToString("N")[..4]);
        Directory.CreateDirectory(mountPoint);
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
        return new TmpfsScratch(mountPoint, previous);
    }

    /// <summary>Restores TMPDIR, lazily unmounts whatever is still mounted below the tmpfs, then the tmpfs itself.</summary>
    public ValueTask DisposeAsync()
    {
        if (_mountPoint is null)
        {
            return ValueTask.CompletedTask;
        }

        Environment.SetEnvironmentVariable("TMPDIR", _previousTmpDir);
        foreach (var point in Mounts.MountPointsUnder(_mountPoint))
        {
            _ = Mounts.TryUnmount(point, Mounts.UnmountDetach);
        }

        Directory.Delete(_mountPoint);
        return ValueTask.CompletedTask;
    }
}
