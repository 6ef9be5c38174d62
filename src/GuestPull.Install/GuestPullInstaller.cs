using GuestPull.Configuration.Sandbox;
using GuestPull.Install.Containerd;
using GuestPull.Install.GuestImage;
using GuestPull.Install.Kubernetes;
using GuestPull.Install.Services;
using GuestPull.Install.State;
using Tomlyn;
using Tomlyn.Model;

namespace GuestPull.Install;

/// <summary>
/// <c>guestpull install</c>: binaries, the snapshotter's config and service, with <c>--cache</c> the node cache's
/// service and the shim's <c>node_cache</c>, the containerd config edit, the containerd restart, the node label. Each completed step is recorded in the state file before the
/// next starts; a failure undoes the steps of this run in reverse, so the host is never left half-switched.
/// </summary>
public static class GuestPullInstaller
{
    /// <summary>Installs (or brings an existing install up to date: every step is idempotent).</summary>
    /// <exception cref="InstallException">A step failed; the steps before it were rolled back.</exception>
    public static async Task<InstallReport> InstallAsync(InstallOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        options = ResolveConfigSource(options);
        var report = new InstallReport();
        var state = await InstallStateStore.LoadAsync(options.StateFile, cancellationToken).ConfigureAwait(false) ?? new InstallState();

        // Everything that can refuse does so before anything changes.
        var (configText, configExists) = await ContainerdHost.ReadContainerdConfigAsync(options, cancellationToken).ConfigureAwait(false);
        var request = ContainerdHost.ConfigRequest(options);
        var patch = ContainerdConfigPatcher.Apply(configText, options.ContainerdConfig, request);
        if (options.RuntimeSpecific)
        {
            await ContainerdHost.CheckRuntimeSpecificAsync(options, patch.Version, cancellationToken).ConfigureAwait(false);
        }
        if (options.Cache && options.NodeCache is not null)
        {
            throw new InstallException("--cache starts GuestPull's node cache and --node-cache names one that runs elsewhere: give one of them");
        }
        if (options.Cache || options.NodeCache is not null)
        {
            _ = ShimNodeCacheSetting.Address(options);
        }
        report.ConfigBefore = configText;
        report.ConfigAfter = patch.Text;

        var done = new List<InstallStep>();
        try
        {
            if (options.ConfigOnly)
            {
                // Asked for explicitly, a purge is the one other thing --config-only does: on a node already
                // switched it is how host images (or records without their layer blobs) are deleted.
                await PurgeImagesAsync(options, configText, report, cancellationToken).ConfigureAwait(false);
                EditContainerdConfig(options, state, patch, configExists, done, report);
                return report;
            }

            await InstallBinariesAsync(options, state, done, report, cancellationToken).ConfigureAwait(false);
            await WriteSnapshotterConfigAsync(options, state, done, report, cancellationToken).ConfigureAwait(false);
            if (ShimConfigFile.Install(options, state, report) is { } shimConfig)
            {
                Record(options, state, done, shimConfig);
            }
            await PurgeImagesAsync(options, configText, report, cancellationToken).ConfigureAwait(false);
            await SnapshotterService.StartAsync(options, state, done, report, cancellationToken).ConfigureAwait(false);
            if (options.Cache)
            {
                await CacheService.StartAsync(options, state, done, report, cancellationToken).ConfigureAwait(false);
            }
            if ((options.Cache || options.NodeCache is not null) && ShimNodeCacheSetting.Apply(options, report) is { } nodeCache)
            {
                Record(options, state, done, nodeCache);
            }
            EditContainerdConfig(options, state, patch, configExists, done, report);
            if (ContainerdRestarter.WillRestart(options))
            {
                await ContainerdRestarter.RestartAsync(options, cancellationToken).ConfigureAwait(false);
                report.Step($"restarted containerd; it answers on {options.ContainerdAddress}");
            }
            else
            {
                report.Warn(options.SkipContainerdRestart
                    ? "containerd was not restarted (--no-containerd-restart): start or restart it so it reads the new config"
                    : "containerd was not restarted (standalone mode without --containerd-restart-command): restart it so it reads the new config");
            }
            if (options.NodeName is { } node)
            {
                await NodeLabeler.SetAsync(node, options.NodeLabel, present: true, cancellationToken).ConfigureAwait(false);
                Record(options, state, done, new InstallStep { Kind = InstallStep.NodeLabel, NodeName = node, Label = options.NodeLabel });
                report.Step($"labelled node {node} with {options.NodeLabel}=true");
            }
            foreach (var step in done.Where(s => s.Kind == InstallStep.Binaries))
            {
                BinaryInstaller.Commit(step);
            }
            // A re-install's binaries step only mattered for its own rollback; the first one undoes them all.
            if (state.Steps.Count(s => s.Kind == InstallStep.Binaries) > 1)
            {
                var first = state.Steps.First(s => s.Kind == InstallStep.Binaries);
                state.Steps.RemoveAll(s => s.Kind == InstallStep.Binaries && s != first);
                InstallStateStore.Save(options.StateFile, state);
            }
            return report;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || cancellationToken.IsCancellationRequested)
        {
            var problems = await InstallUndo.RollbackAsync(options, state, done, CancellationToken.None).ConfigureAwait(false);
            var undone = done.Count == 0 ? "nothing had changed" : $"undid {string.Join(", ", done.Select(s => s.Kind).Reverse())}";
            var tail = problems.Count == 0 ? string.Empty : $"; the rollback also hit: {string.Join("; ", problems)}";
            throw new InstallException($"install failed: {ex.Message} ({undone}{tail})", ex);
        }
    }

    /// <summary>
    /// <c>guestpull uninstall</c>: undoes every recorded step in reverse. containerd's config comes back
    /// byte-identical from the backup when nobody changed it since the install, else only GuestPull's keys go.
    /// </summary>
    public static async Task<InstallReport> UninstallAsync(InstallOptions options, bool keepState, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var report = new InstallReport();
        var state = await InstallStateStore.LoadAsync(options.StateFile, cancellationToken).ConfigureAwait(false);
        if (state is null)
        {
            await InstallUndo.RemoveWithoutStateAsync(options, report, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            var steps = options.ConfigOnly ? [.. state.Steps.Where(s => s.Kind == InstallStep.ContainerdConfig)] : state.Steps.ToList();
            foreach (var step in Enumerable.Reverse(steps))
            {
                await InstallUndo.UndoAsync(options, step, report, cancellationToken).ConfigureAwait(false);
                state.Steps.Remove(step);
                InstallStateStore.Save(options.StateFile, state);
            }
            if (!options.ConfigOnly && ContainerdRestarter.WillRestart(options))
            {
                await ContainerdRestarter.RestartAsync(options, cancellationToken).ConfigureAwait(false);
                report.Step("restarted containerd");
            }
            else if (!options.ConfigOnly && !options.SkipContainerdRestart)
            {
                report.Warn("containerd was not restarted (standalone mode without --containerd-restart-command): restart it so it forgets GuestPull");
            }
            if (state.Steps.Count == 0 && !keepState)
            {
                File.Delete(options.StateFile);
                InstallUndo.DeleteIfEmpty(options.StateDirectory);
            }
        }
        return report;
    }

    private static InstallOptions ResolveConfigSource(InstallOptions options)
    {
        if (options.SnapshotterConfigSource is not { } source)
        {
            return options;
        }
        if (!File.Exists(source))
        {
            throw new InstallException($"snapshotter config {source} does not exist (ENABLE_CONFIG_FROM_VOLUME: mount the ConfigMap there)");
        }
        var model = TomlSerializer.Deserialize<TomlTable>(File.ReadAllText(source)) ?? new TomlTable();
        return options with
        {
            SnapshotterAddress = model.TryGetValue("address", out var address) && address is string a ? a : options.SnapshotterAddress,
            SnapshotterRoot = model.TryGetValue("root", out var root) && root is string r ? r : options.SnapshotterRoot,
        };
    }

    private static async Task InstallBinariesAsync(InstallOptions options, InstallState state, List<InstallStep> done, InstallReport report, CancellationToken cancellationToken)
    {
        GuestImageVerification? guestImage;
        string appDirectory;
        if (options.SkipBinaries)
        {
            // Nothing is copied, but the build's image is the one a shim run from it boots: check it the same way.
            appDirectory = options.SourceDirectory;
            var directory = Path.Combine(appDirectory, GuestImageLayout.DirectoryName);
            guestImage = await BinaryInstaller.VerifyGuestImageAsync(directory, cancellationToken).ConfigureAwait(false);
            if (guestImage is { Intact: false })
            {
                throw BinaryInstaller.DamagedGuestImage($"the guest image {directory}", guestImage);
            }
        }
        else
        {
            (var step, guestImage) = await BinaryInstaller.InstallAsync(options, cancellationToken).ConfigureAwait(false);
            Record(options, state, done, step);
            appDirectory = options.LibDirectory;
            report.Step($"installed the binaries into {options.LibDirectory} (links in {options.BinDirectory})");
        }

        var image = Path.Combine(appDirectory, GuestImageLayout.DirectoryName);
        if (guestImage?.Manifest is { } manifest)
        {
            report.Step($"the guest image {image} ({manifest.KernelDescription}) matches its manifest");
        }
        else
        {
            // Not an error: a namespace sandbox needs no image, and [vm] kernel and initrd can name another one.
            report.Warn($"no guest image in {image}: pods with sandbox = \"vm\" (the shim's default) cannot start until one is there " +
                "(./build.sh builds it into artifacts/bin/guest; install again from that build, or set [vm] kernel and initrd in the shim config)");
        }
    }

    private static async Task WriteSnapshotterConfigAsync(InstallOptions options, InstallState state, List<InstallStep> done, InstallReport report, CancellationToken cancellationToken)
    {
        var path = options.SnapshotterConfigFile;
        var content = options.SnapshotterConfigSource is { } source
            ? await File.ReadAllTextAsync(source, cancellationToken).ConfigureAwait(false)
            : SnapshotterConfigFile.Render(options);
        var previous = File.Exists(path) ? await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false) : null;
        if (previous == content && state.Find(InstallStep.SnapshotterConfig) is not null)
        {
            return;
        }
        var createdDirectory = !Directory.Exists(options.ConfigDirectory);
        FileWriter.WriteAtomically(path, content);
        Record(options, state, done, new InstallStep
        {
            Kind = InstallStep.SnapshotterConfig,
            Path = path,
            PreviousContent = previous,
            CreatedFile = previous is null,
            CreatedPaths = createdDirectory ? [options.ConfigDirectory] : [],
        });
        report.Step($"wrote the snapshotter config {path}");
    }

    private static async Task PurgeImagesAsync(InstallOptions options, string configText, InstallReport report, CancellationToken cancellationToken)
    {
        if (!options.PurgeAllImages && options.PurgeImages.Count == 0)
        {
            return;
        }
        using var client = new ContainerdClient(options.ContainerdAddress);
        IReadOnlyList<string>? names = null;
        if (!options.PurgeAllImages)
        {
            // The sandbox (pause) image was pulled on the host too; it has to go with the others.
            names = [.. options.PurgeImages, .. ContainerdHost.SandboxImage(configText, options.ContainerdConfig) is { } pause ? [pause] : Array.Empty<string>()];
        }
        var deleted = await HostImagePurger.PurgeAsync(client, options.ContainerdNamespace, names, cancellationToken).ConfigureAwait(false);
        report.Step(deleted.Count == 0
            ? $"no host images to delete in namespace {options.ContainerdNamespace}"
            : $"deleted {deleted.Count} host image(s) in namespace {options.ContainerdNamespace}: {string.Join(", ", deleted)}");
        foreach (var missing in options.PurgeImages.Where(name => !deleted.Any(image => HostImagePurger.Matches(image, name))))
        {
            report.Warn($"--purge-host-images {missing}: no such image in namespace {options.ContainerdNamespace}");
        }
    }

    private static void EditContainerdConfig(
        InstallOptions options, InstallState state, ContainerdConfigPatch patch, bool configExists, List<InstallStep> done, InstallReport report)
    {
        var earlier = state.Find(InstallStep.ContainerdConfig);
        if (!patch.Changed)
        {
            report.Step($"{options.ContainerdConfig} already has GuestPull's settings");
            return;
        }
        string? backup = null;
        if (configExists && !File.Exists(options.ContainerdConfigBackup))
        {
            File.Copy(options.ContainerdConfig, options.ContainerdConfigBackup);
            backup = options.ContainerdConfigBackup;
        }
        FileWriter.WriteAtomically(options.ContainerdConfig, patch.Text);
        var step = new InstallStep
        {
            Kind = InstallStep.ContainerdConfig,
            Path = options.ContainerdConfig,
            CreatedFile = !configExists || earlier?.CreatedFile == true,
            BackupPath = backup ?? earlier?.BackupPath,
            WrittenSha256 = FileWriter.Sha256(patch.Text),
            // A second install adds to the first one's record: the original values stay the ones to restore.
            Changes = [.. earlier?.Changes ?? [], .. patch.Changes.Where(c => earlier?.Changes.Any(e => e.Key == c.Key && e.Table.SequenceEqual(c.Table)) != true)],
            CreatedTables = [.. earlier?.CreatedTables ?? [], .. patch.CreatedTables],
        };
        if (earlier is not null)
        {
            state.Steps.Remove(earlier);
        }
        Record(options, state, done, step);
        report.Step($"edited {options.ContainerdConfig} ({patch.Changes.Count} setting(s); backup {options.ContainerdConfigBackup})");
    }

    internal static void Record(InstallOptions options, InstallState state, List<InstallStep> done, InstallStep step)
    {
        state.Steps.Add(step);
        done.Add(step);
        InstallStateStore.Save(options.StateFile, state);
    }
}
