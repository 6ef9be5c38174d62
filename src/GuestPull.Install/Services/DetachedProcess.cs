using System.Globalization;
using GuestPull.Linux;

namespace GuestPull.Install.Services;

/// <summary>
/// A <c>guestpull</c> daemon run as a plain detached process (its own session, output to a log file),
/// tracked by a pid file: the snapshotter and the node cache on hosts without systemd and in tests.
/// </summary>
internal static class DetachedProcess
{
    /// <summary>The pid from the pid file when that process still runs <c>guestpull SUBCOMMAND</c>, else null.</summary>
    public static int? RunningPid(string pidFile, string subcommand)
    {
        if (!File.Exists(pidFile) || !int.TryParse(File.ReadAllText(pidFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
        {
            return null;
        }
        return IsRunningGuestPull(pid, subcommand) ? pid : null;
    }

    /// <summary>Starts <c>guestpull ARGUMENTS</c> detached, appending its output to <paramref name="logFile"/>, and writes the pid file; returns the pid.</summary>
    public static async Task<int> StartAsync(GuestPullLauncher launcher, IReadOnlyList<string> arguments, string logFile, string pidFile, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(pidFile))!);
        const string Script = "log=$1; shift; setsid \"$@\" >>\"$log\" 2>&1 </dev/null & echo $!";
        var result = await HostCommand.RunAsync(
            "/bin/sh",
            ["-c", Script, "sh", logFile, .. launcher.CommandLine([.. arguments])],
            TimeSpan.FromSeconds(30),
            cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded || !int.TryParse(result.Output.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
        {
            throw new InstallException($"could not start guestpull {arguments[0]}: {result.Describe()}");
        }
        await File.WriteAllTextAsync(pidFile, pid.ToString(CultureInfo.InvariantCulture) + "\n", cancellationToken).ConfigureAwait(false);
        return pid;
    }

    /// <summary>SIGTERM, then SIGKILL after <paramref name="grace"/>; removes the pid file.</summary>
    public static async Task StopAsync(string pidFile, string subcommand, TimeSpan grace, CancellationToken cancellationToken)
    {
        if (RunningPid(pidFile, subcommand) is { } pid)
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

    public static string LogTail(string logFile, int lines = 20) =>
        File.Exists(logFile) ? string.Join('\n', File.ReadLines(logFile).TakeLast(lines)) : "(no log)";

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

    // The pid file may be stale and the pid reused: only a guestpull running that subcommand counts.
    private static bool IsRunningGuestPull(int pid, string subcommand)
    {
        if (!IsRunning(pid))
        {
            return false;
        }
        try
        {
            var arguments = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0');
            return arguments.Contains(subcommand) && arguments.Any(a => a.Contains("guestpull", StringComparison.Ordinal));
        }
        catch (IOException)
        {
            return false;
        }
    }
}
