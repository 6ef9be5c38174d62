namespace GuestPull.Install.Services;

/// <summary>
/// The snapshotter as a plain detached process (its own session, output to a log file), tracked by a
/// pid file: for hosts without systemd and for a private containerd in tests and the demo.
/// </summary>
internal static class StandaloneSnapshotter
{
    private const string Subcommand = "snapshotter";

    public static string PidFile(InstallOptions options) => Path.Combine(options.StateDirectory, "snapshotter.pid");

    public static string LogFile(InstallOptions options) => Path.Combine(options.StateDirectory, "snapshotter.log");

    /// <summary>The running snapshotter's pid from the pid file, or null when none runs.</summary>
    public static int? RunningPid(string pidFile) => DetachedProcess.RunningPid(pidFile, Subcommand);

    /// <summary>Starts <c>guestpull snapshotter --config FILE</c> detached and writes the pid file; returns the pid.</summary>
    public static Task<int> StartAsync(GuestPullLauncher launcher, InstallOptions options, CancellationToken cancellationToken) =>
        DetachedProcess.StartAsync(launcher, [Subcommand, "--config", options.SnapshotterConfigFile], LogFile(options), PidFile(options), cancellationToken);

    /// <summary>SIGTERM, then SIGKILL after <paramref name="grace"/>; removes the pid file.</summary>
    public static Task StopAsync(string pidFile, TimeSpan grace, CancellationToken cancellationToken) =>
        DetachedProcess.StopAsync(pidFile, Subcommand, grace, cancellationToken);

    public static string LogTail(InstallOptions options, int lines = 20) => DetachedProcess.LogTail(LogFile(options), lines);

    /// <summary>Alive and not a zombie.</summary>
    public static bool IsRunning(int pid) => DetachedProcess.IsRunning(pid);
}
