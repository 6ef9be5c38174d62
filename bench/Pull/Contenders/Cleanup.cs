using GuestPull.Testing;

namespace GuestPull.Bench.Pull.Contenders;

/// Removes what a run left behind, mounts first, so nothing is deleted through an overlay.
internal static class Cleanup
{
    public static async Task RemoveGuestPullBundleAsync(string guestPull, string bundle, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(bundle))
        {
            return;
        }

        var options = new ProcessRunOptions { ThrowOnFailure = false, Timeout = TimeSpan.FromMinutes(5) };
        var result = await ProcessRunner.RunAsync(guestPull, ["rm-bundle", bundle], options, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            await Console.Error.WriteLineAsync($"warning: '{result.CommandLine}' failed: {result.StandardError.Trim()}").ConfigureAwait(false);
        }

        await UnmountUnderAsync(bundle, cancellationToken).ConfigureAwait(false);
        DeleteDirectory(bundle);
    }

    /// Lazily unmounts every mount point at or below <paramref name="directory"/>, deepest first.
    public static Task UnmountUnderAsync(string directory, CancellationToken cancellationToken)
    {
        foreach (var point in GuestPull.Linux.Mounts.MountPointsUnder(Path.GetFullPath(directory)))
        {
            cancellationToken.ThrowIfCancellationRequested();
            _ = GuestPull.Linux.Mounts.TryUnmount(point, GuestPull.Linux.Mounts.UnmountDetach);
        }

        return Task.CompletedTask;
    }

    public static void DeleteDirectory(string path)
    {
        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
    }
}
