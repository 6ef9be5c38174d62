using System.Diagnostics;
using System.Globalization;
using GuestPull.Linux;
using GuestPull.Shim.Daemon;

namespace GuestPull.Shim.Sandbox;

/// <summary>
/// What a sandbox leaves on the host, whatever its kind: the process its state directory records (unshare
/// or QEMU), the shared directory's mounts and the state directory itself. Both sandboxes remove them the
/// same way on stop and on a failed start, and <c>delete</c> after a dead shim does it from the state alone.
/// </summary>
internal static class SandboxTraces
{
    /// <summary>After a dead shim: kill the sandbox its state directory records (unshare and its PID 1, or QEMU) and remove every host trace.</summary>
    public static async Task CleanupAsync(ShimLayout layout, CancellationToken cancellationToken)
    {
        if (File.Exists(layout.SandboxPidFile)
            && int.TryParse(await File.ReadAllTextAsync(layout.SandboxPidFile, cancellationToken).ConfigureAwait(false), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
            && IsOurSandbox(pid, layout))
        {
            var init = ProcFs.ChildrenOf(pid).FirstOrDefault();
            _ = Signals.TrySend(pid, Signals.Kill);
            if (init > 0)
            {
                _ = Signals.TrySend(init, Signals.Kill);
            }

            await WaitGoneAsync(init > 0 ? init : pid).ConfigureAwait(false);
        }

        var shared = File.Exists(layout.SharedDirectoryFile)
            ? (await File.ReadAllTextAsync(layout.SharedDirectoryFile, cancellationToken).ConfigureAwait(false)).Trim()
            : null;
        await RemoveAsync(layout, shared).ConfigureAwait(false);
    }

    // A recycled pid must not be killed: the recorded process must still be ours, naming our agent socket
    // (unshare or nsenter for a namespace sandbox, QEMU's chardev for a VM).
    private static bool IsOurSandbox(int pid, ShimLayout layout)
    {
        var argv = ProcFs.CommandLine(pid);
        return argv.Count > 0 && argv.Any(argument => argument.Contains(layout.AgentSocket, StringComparison.Ordinal));
    }

    public static Task RemoveAsync(ShimLayout layout, string? shared)
    {
        try
        {
            if (shared is not null)
            {
                SharedMounts.Remove(shared);
            }

            TreeRemover.Delete(layout.StateDirectory);
        }
        catch (DirectoryNotFoundException)
        {
            // A concurrent "delete" (containerd's dead-shim cleanup) removed it first.
        }

        // The namespace directory above the state directory goes too once empty.
        var parent = Path.GetDirectoryName(layout.StateDirectory);
        if (parent is not null && Directory.Exists(parent) && !Directory.EnumerateFileSystemEntries(parent).Any())
        {
            try
            {
                Directory.Delete(parent);
            }
            catch (IOException)
            {
                // Another pod of the namespace just created its state directory.
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>Waits up to 30 s for a killed process to be gone, so its mounts and files can be removed.</summary>
    public static async Task WaitGoneAsync(int pid)
    {
        if (pid <= 0)
        {
            return;
        }

        var deadline = Stopwatch.StartNew();
        while (ProcFs.IsAlive(pid) && deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(20).ConfigureAwait(false);
        }
    }

}
