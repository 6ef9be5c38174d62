using System.Diagnostics;
using GuestPull.Shim.Sandbox;
using GuestPull.Ttrpc;

namespace GuestPull.Shim.Daemon;

/// <summary>
/// Starts the shim daemon detached from containerd's <c>start</c> call: its own session (setsid), stdio
/// on /dev/null, so the pipe containerd reads the address from closes when <c>start</c> exits.
/// </summary>
internal static class ShimLauncher
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);

    public static async Task LaunchAsync(GuestPullExecutable guestpull, IReadOnlyList<string> serveArguments, string socket, string workingDirectory, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo
        {
            FileName = "/bin/sh",
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = false,
            RedirectStandardOutput = false,
            RedirectStandardError = false,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("exec setsid \"$0\" \"$@\" </dev/null >/dev/null 2>&1");
        foreach (var argument in guestpull.Command(["shim", .. serveArguments]))
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new ShimException("could not start the shim daemon");
        var deadline = Stopwatch.StartNew();
        while (!await IsServingAsync(socket, cancellationToken).ConfigureAwait(false))
        {
            if (process.HasExited)
            {
                throw new ShimException($"the shim daemon exited with status {process.ExitCode} before serving on {socket}; see its log (the bundle's log fifo or shim.log)");
            }

            if (deadline.Elapsed > ReadyTimeout)
            {
                throw new ShimException($"the shim daemon did not serve on {socket} within {ReadyTimeout.TotalSeconds:0} s");
            }

            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Whether a live shim accepts connections on <paramref name="socket"/>.</summary>
    public static async Task<bool> IsServingAsync(string socket, CancellationToken cancellationToken)
    {
        if (!File.Exists(socket))
        {
            return false;
        }

        try
        {
            var client = await TtrpcClient.ConnectAsync(socket, cancellationToken: cancellationToken).ConfigureAwait(false);
            await client.DisposeAsync().ConfigureAwait(false);
            return true;
        }
        catch (TtrpcException)
        {
            return false;
        }
    }
}
