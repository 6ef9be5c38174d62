using GuestPull.Install.Containerd;
using GuestPull.Install.Kubernetes;
using GuestPull.Install.Services;
using GuestPull.Install.State;
using GuestPull.Linux;

namespace GuestPull.Install;

/// <summary>Undoes recorded install steps: for a rollback after a failed step, and for uninstall.</summary>
internal static class InstallUndo
{
    public static async Task<List<string>> RollbackAsync(InstallOptions options, InstallState state, List<InstallStep> done, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        var scratch = new InstallReport();
        foreach (var step in Enumerable.Reverse(done))
        {
            try
            {
                await UndoAsync(options, step, scratch, cancellationToken).ConfigureAwait(false);
                state.Steps.Remove(step);
                InstallStateStore.Save(options.StateFile, state);
            }
            catch (Exception ex) when (ex is InstallException or IOException or UnauthorizedAccessException)
            {
                problems.Add($"{step.Kind}: {ex.Message}");
            }
        }
        if (done.Any(step => step.Kind == InstallStep.ContainerdConfig) && ContainerdRestarter.WillRestart(options))
        {
            try
            {
                await ContainerdRestarter.RestartAsync(options, cancellationToken).ConfigureAwait(false);
            }
            catch (InstallException ex)
            {
                problems.Add($"containerd restart: {ex.Message}");
            }
        }
        // A first step that failed on a fresh host left no state directory: File.Delete would throw for it and hide the real error.
        if (state.Steps.Count == 0 && Directory.Exists(options.StateDirectory))
        {
            File.Delete(options.StateFile);
            DeleteIfEmpty(options.StateDirectory);
        }
        return problems;
    }

    public static async Task UndoAsync(InstallOptions options, InstallStep step, InstallReport report, CancellationToken cancellationToken)
    {
        switch (step.Kind)
        {
            case InstallStep.Binaries:
                BinaryInstaller.Undo(step);
                report.Step($"removed the binaries from {step.Path}");
                break;
            case InstallStep.SnapshotterConfig:
            case InstallStep.SystemdUnit:
                var systemd = step.Kind == InstallStep.SystemdUnit;
                // systemctl failing must not keep the files from coming back: warn and go on.
                if (systemd)
                {
                    await TrySystemctlAsync(report, cancellationToken, "disable", "--now", step.UnitName ?? SystemdUnit.Name).ConfigureAwait(false);
                }
                RestoreFile(step);
                foreach (var directory in step.CreatedPaths)
                {
                    DeleteIfEmpty(directory);
                }
                if (systemd)
                {
                    await TrySystemctlAsync(report, cancellationToken, "daemon-reload").ConfigureAwait(false);
                }
                report.Step(step.CreatedFile ? $"removed {step.Path}" : $"restored {step.Path}");
                break;
            case InstallStep.ShimConfig:
                ShimConfigFile.Undo(step, report);
                break;
            case InstallStep.StandaloneProcess:
                await StandaloneSnapshotter.StopAsync(step.PidFile ?? StandaloneSnapshotter.PidFile(options), TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
                File.Delete(StandaloneSnapshotter.LogFile(options));
                report.Step("stopped the snapshotter");
                break;
            case InstallStep.ContainerdConfig:
                report.Step(await RestoreContainerdConfigAsync(options, step, cancellationToken).ConfigureAwait(false));
                break;
            case InstallStep.CacheUnit:
            case InstallStep.CacheProcess:
                await CacheService.UndoAsync(options, step, report, cancellationToken).ConfigureAwait(false);
                break;
            case InstallStep.ShimNodeCache:
                ShimNodeCacheSetting.Undo(step, report);
                break;
            case InstallStep.NodeLabel:
                await NodeLabeler.SetAsync(step.NodeName!, step.Label ?? options.NodeLabel, present: false, cancellationToken).ConfigureAwait(false);
                report.Step($"removed the label {step.Label} from node {step.NodeName}");
                break;
            default:
                report.Warn($"unknown step '{step.Kind}' in {options.StateFile} left alone");
                break;
        }
    }

    private static async Task<string> RestoreContainerdConfigAsync(InstallOptions options, InstallStep step, CancellationToken cancellationToken)
    {
        var path = step.Path ?? options.ContainerdConfig;
        if (!File.Exists(path))
        {
            return $"{path} is gone; nothing to restore";
        }
        var current = await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false);
        var untouched = FileWriter.Sha256(current) == step.WrittenSha256;
        var backup = step.BackupPath;
        if (untouched && step.CreatedFile)
        {
            File.Delete(path);
            return $"removed {path} (GuestPull had created it)";
        }
        if (untouched && backup is not null && File.Exists(backup))
        {
            // Copy, then rename: the restored file is the backup byte for byte, and never half-written.
            using (var source = File.OpenRead(backup))
            {
                AtomicFile.Write(path, File.GetUnixFileMode(backup), source.CopyTo);
            }

            File.Delete(backup);
            return $"restored {path} from {backup}";
        }
        var reverted = ContainerdConfigPatcher.Revert(current, path, step.Changes, step.CreatedTables);
        FileWriter.WriteAtomically(path, reverted);
        if (backup is not null)
        {
            File.Delete(backup);
        }
        return $"removed GuestPull's settings from {path} (it changed since the install, so the backup was not used)";
    }

    public static async Task RemoveWithoutStateAsync(InstallOptions options, InstallReport report, CancellationToken cancellationToken)
    {
        report.Warn($"no install record at {options.StateFile}: removing what GuestPull is known to add");
        if (File.Exists(options.ContainerdConfig))
        {
            var current = await File.ReadAllTextAsync(options.ContainerdConfig, cancellationToken).ConfigureAwait(false);
            var cleaned = ContainerdConfigPatcher.RemoveWithoutRecord(current, options.ContainerdConfig, ContainerdHost.ConfigRequest(options));
            if (cleaned != current)
            {
                FileWriter.WriteAtomically(options.ContainerdConfig, cleaned);
                report.Step($"removed GuestPull's settings from {options.ContainerdConfig}");
            }
        }
        if (options.ConfigOnly)
        {
            return;
        }
        var pidFile = StandaloneSnapshotter.PidFile(options);
        if (StandaloneSnapshotter.RunningPid(pidFile) is not null)
        {
            await StandaloneSnapshotter.StopAsync(pidFile, TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
            report.Step("stopped the standalone snapshotter");
        }
        if (CacheService.RunningPid(CacheService.PidFile(options)) is not null)
        {
            await DetachedProcess.StopAsync(CacheService.PidFile(options), "cache", TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
            report.Step("stopped the standalone node cache");
        }
        if (ContainerdRestarter.WillRestart(options))
        {
            await ContainerdRestarter.RestartAsync(options, cancellationToken).ConfigureAwait(false);
            report.Step("restarted containerd");
        }
    }

    public static void RestoreFile(InstallStep step)
    {
        if (step.Path is null)
        {
            return;
        }
        if (step.PreviousContent is null)
        {
            File.Delete(step.Path);
        }
        else
        {
            FileWriter.WriteAtomically(step.Path, step.PreviousContent);
        }
    }

    public static void DeleteIfEmpty(string directory)
    {
        if (Directory.Exists(directory) && !Directory.EnumerateFileSystemEntries(directory).Any())
        {
            Directory.Delete(directory);
        }
    }

    public static async Task TrySystemctlAsync(InstallReport report, CancellationToken cancellationToken, params string[] arguments)
    {
        try
        {
            await SystemdService.RunAsync(cancellationToken, arguments).ConfigureAwait(false);
        }
        catch (InstallException ex)
        {
            report.Warn(ex.Message);
        }
    }
}
