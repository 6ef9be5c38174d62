using GuestPull.Install.Containerd;
using GuestPull.Install.State;

namespace GuestPull.Install.Services;

/// <summary>Installs and starts the snapshotter (systemd unit or standalone process) and waits until it answers.</summary>
internal static class SnapshotterService
{
    public static async Task StartAsync(InstallOptions options, InstallState state, List<InstallStep> done, InstallReport report, CancellationToken cancellationToken)
    {
        var launcher = options.SkipBinaries ? GuestPullLauncher.InDirectory(options.SourceDirectory) : GuestPullLauncher.InDirectory(options.LibDirectory);
        if (options.EffectiveServiceMode == ServiceMode.Systemd)
        {
            var unitPath = Path.Combine(options.SystemdUnitDirectory, SystemdUnit.Name);
            var binary = options.SkipBinaries ? launcher.FileName : Path.Combine(options.BinDirectory, "guestpull");
            var content = SystemdUnit.Render(binary, options.SnapshotterConfigFile);
            var previous = File.Exists(unitPath) ? await File.ReadAllTextAsync(unitPath, cancellationToken).ConfigureAwait(false) : null;
            FileWriter.WriteAtomically(unitPath, content);
            GuestPullInstaller.Record(options, state, done, new InstallStep { Kind = InstallStep.SystemdUnit, Path = unitPath, PreviousContent = previous, CreatedFile = previous is null, UnitName = SystemdUnit.Name });
            if (await SystemdService.VerifyAsync(unitPath, cancellationToken).ConfigureAwait(false) is { } complaint)
            {
                report.Warn($"systemd-analyze verify {unitPath}: {complaint}");
            }
            await SystemdService.RunAsync(cancellationToken, "daemon-reload").ConfigureAwait(false);
            // A full path also links a unit that lives outside systemd's search path (--prefix).
            await SystemdService.RunAsync(cancellationToken, "enable", unitPath).ConfigureAwait(false);
            await SystemdService.RunAsync(cancellationToken, "restart", SystemdUnit.Name).ConfigureAwait(false);
            report.Step($"installed and started {SystemdUnit.Name}");
        }
        else
        {
            var pidFile = StandaloneSnapshotter.PidFile(options);
            if (StandaloneSnapshotter.RunningPid(pidFile) is { } running)
            {
                // A re-install with a changed config must not keep serving the old one.
                await StandaloneSnapshotter.StopAsync(pidFile, TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
                report.Step($"stopped the running snapshotter (pid {running}) to restart it");
            }
            var pid = await StandaloneSnapshotter.StartAsync(launcher, options, cancellationToken).ConfigureAwait(false);
            if (state.Find(InstallStep.StandaloneProcess) is null)
            {
                GuestPullInstaller.Record(options, state, done, new InstallStep { Kind = InstallStep.StandaloneProcess, PidFile = pidFile });
            }
            else
            {
                done.Add(new InstallStep { Kind = InstallStep.StandaloneProcess, PidFile = pidFile });
            }
            report.Step($"started the snapshotter (pid {pid}, pid file {pidFile}, log {StandaloneSnapshotter.LogFile(options)})");
        }
        await WaitForSnapshotterAsync(options, cancellationToken).ConfigureAwait(false);
        report.Step($"the snapshotter answers on {options.SnapshotterAddress}");
    }

    private static async Task WaitForSnapshotterAsync(InstallOptions options, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + options.ReadyTimeout;
        var pidFile = StandaloneSnapshotter.PidFile(options);
        var standalone = options.EffectiveServiceMode != ServiceMode.Systemd;
        while (true)
        {
            var problem = await SnapshotterProbe.ProbeAsync(options.SnapshotterAddress, ContainerdConfigRequest.DefaultSnapshotterName, cancellationToken).ConfigureAwait(false);
            if (problem is null)
            {
                return;
            }
            if (standalone && StandaloneSnapshotter.RunningPid(pidFile) is null)
            {
                throw new InstallException($"the snapshotter exited while starting; its log ends with:\n{StandaloneSnapshotter.LogTail(options)}");
            }
            if (DateTime.UtcNow > deadline)
            {
                var where = standalone ? $"its log: {StandaloneSnapshotter.LogFile(options)}" : $"journalctl -u {SystemdUnit.Name}";
                throw new InstallException($"the snapshotter did not answer within {options.ReadyTimeout.TotalSeconds:0} s: {problem} ({where})");
            }
            await Task.Delay(200, cancellationToken).ConfigureAwait(false);
        }
    }
}
