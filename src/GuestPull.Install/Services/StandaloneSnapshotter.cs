using System.Globalization;
using GuestPull.Linux;

namespace GuestPull.Install.Services;

/// <summary>
/// The snapshotter as a plain detached process (its own session, output to a log file), tracked by a
/// pid file: for hosts without systemd and for a private containerd in tests and the demo.
/// </summary>
internal static class StandaloneSnapshotter
{
    public static string PidFile(InstallOptions options) => Path.Combine(options.StateDirectory, "snapshotter.pid");

    public static string LogFile(InstallOptions options) => Path.Combine(options.StateDirectory, "snapshotter.log");

    /// <summary>The running snapshotter's pid from the pid file, or null when none runs.</summary>
    public static int? RunningPid(string pidFile)
    {
        if (!File.Exists(pidFile) || !int.TryParse(File.ReadAllText(pidFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
        {
            return null;
        }
        return IsRunningSnapshotter(pid) ? pid : null;
    }

    /// <summary>Starts <c>guestpull snapshotter --config FILE</c> detached and writes the pid file; returns the pid.</summary>
    public static async Task<int> StartAsync(GuestPullLauncher launcher, InstallOptions options, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(options.StateDirectory);
        const string Script = "log=$1; shift; setsid \"$@\" >>\"$log\" 2>&1 </dev/null & echo $!";
        var result = await HostCommand.RunAsync(
            "/bin/sh",
            ["-c", Script, "sh", LogFile(options), .. launcher.CommandLine("snapshotter", "--config", options.SnapshotterConfigFile)],
            TimeSpan.FromSeconds(30),
            cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded || !int.TryParse(result.Output.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
        {
            throw new InstallException($"could not start the snapshotter: {result.Describe()}");
        }
        await File.WriteAllTextAsync(PidFile(options), pid.ToString(CultureInfo.InvariantCulture) + "\n", cancellationToken).ConfigureAwait(false);
        return pid;
    }

    /// <summary>SIGTERM, then SIGKILL after <paramref name="grace"/>; removes the pid file.</summary>
    public static async Task StopAsync(string pidFile, TimeSpan grace, CancellationToken cancellationToken)
    {
        if (RunningPid(pidFile) is { } pid)
        {
            _ = Signals.TrySend(pid, Signals.Terminate);
            var deadline = DateTime.UtcNow + grace;
            while (IsRunning(pid) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100, cancellationToken).ConfigureAwait(false);
            }
            if (IsRunning(pid))
            {
                _ = Signals.TrySend(pid, Signals.Kill);
            }
        }
        File.Delete(pidFile);
    }

    public static string LogTail(InstallOptions options, int lines = 20)
    {
        var log = LogFile(options);
        return File.Exists(log) ? string.Join('\n', File.ReadLines(log).TakeLast(lines)) : "(no log)";
    }

    /// <summary>Alive and not a zombie (a detached child is reaped by whoever adopted it, maybe late).</summary>
    public static bool IsRunning(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..].FirstOrDefault();
            return state is not ('Z' or 'X' or '\0');
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static bool IsRunningSnapshotter(int pid)
    {
        if (!IsRunning(pid))
        {
            return false;
        }
        try
        {
            var arguments = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0');
            return arguments.Contains("snapshotter") && arguments.Any(a => a.Contains("guestpull", StringComparison.Ordinal));
        }
        catch (IOException)
        {
            return false;
        }
    }
}
