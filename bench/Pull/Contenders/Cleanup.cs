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
    public static async Task UnmountUnderAsync(string directory, CancellationToken cancellationToken)
    {
        var full = Path.GetFullPath(directory).TrimEnd('/');
        var lines = await File.ReadAllLinesAsync("/proc/self/mountinfo", cancellationToken).ConfigureAwait(false);
        var mountPoints = lines
            .Select(line => line.Split(' '))
            .Where(fields => fields.Length > 4)
            .Select(fields => fields[4].Replace("\\040", " ", StringComparison.Ordinal))
            .Where(point => point == full || point.StartsWith(full + "/", StringComparison.Ordinal))
            .OrderByDescending(point => point.Length)
            .ToList();
        foreach (var point in mountPoints)
        {
            await ProcessRunner.RunAsync("umount", ["-l", point], new ProcessRunOptions { ThrowOnFailure = false }, cancellationToken).ConfigureAwait(false);
        }
    }

    public static void DeleteDirectory(string path)
    {
        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
    }
}
