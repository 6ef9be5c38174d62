using System.CommandLine;
using GuestPull.Install;
using GuestPull.Install.Kubernetes;

namespace GuestPull.Cli.Commands;

/// <summary>
/// <c>guestpull install</c>: binaries, snapshotter config and service, containerd's config, restart,
/// readiness; all or nothing (a failed step rolls back the earlier ones).
/// </summary>
internal static class InstallCommand
{
    public static Command Build(GlobalOptions global)
    {
        var locations = new InstallLocationOptions();
        var purge = new Option<string[]>("--purge-host-images")
        {
            Description = "delete these images from containerd (through its API) before the switch; the CRI sandbox (pause) image goes with them",
            HelpName = "IMAGE",
            AllowMultipleArgumentsPerToken = true,
            Arity = ArgumentArity.OneOrMore,
        };
        var purgeAll = new Option<bool>("--purge-all-host-images") { Description = "delete every image in the containerd namespace before the switch" };
        var fromEnv = new Option<bool>("--from-env")
        {
            Description = "read FS_DRIVER, ENABLE_CONFIG_FROM_VOLUME, ENABLE_RUNTIME_SPECIFIC_SNAPSHOTTER, ENABLE_SYSTEMD_SERVICE (the DaemonSet's ConfigMap) " +
                "and label NODE_NAME when running in a pod",
        };
        var configOnly = new Option<bool>("--config-only") { Description = "only edit containerd's config and print the change (and delete the images --purge-host-images names, if given)" };
        var fsDriver = new Option<string?>("--fs-driver") { Description = "snapshotter driver: proxy (guest pull, default) or overlayfs", HelpName = "DRIVER" };
        var skipBinaries = new Option<bool>("--skip-binaries") { Description = "run the snapshotter from this build instead of copying the binaries" };
        var command = new Command("install", "Install GuestPull's snapshotter and switch containerd to it (idempotent; rolls back on failure)");
        locations.AddTo(command);
        foreach (var option in new Option[] { purge, purgeAll, fromEnv, configOnly, fsDriver, skipBinaries })
        {
            command.Options.Add(option);
        }
        global.AddTo(command);
        command.SetAction((result, ct) => CommandRunner.RunAsync(result, global, async (_, token) =>
        {
            var images = result.GetValue(purge) ?? [];
            if (images.Length > 0 && result.GetValue(purgeAll))
            {
                throw new ArgumentException("--purge-host-images and --purge-all-host-images exclude each other");
            }
            var options = locations.Read(result) with
            {
                PurgeImages = images,
                PurgeAllImages = result.GetValue(purgeAll),
                ConfigOnly = result.GetValue(configOnly),
                SkipBinaries = result.GetValue(skipBinaries),
            };
            if (result.GetValue(fsDriver) is { } driver)
            {
                options = options with { FsDriver = driver is "proxy" or "overlayfs" ? driver : throw new ArgumentException($"--fs-driver must be proxy or overlayfs, got '{driver}'") };
            }
            if (result.GetValue(fromEnv))
            {
                options = EnvironmentSettings.Apply(options, Environment.GetEnvironmentVariable);
                if (options.NodeName is not null && !InstallEnvironment.InCluster)
                {
                    options = options with { NodeName = null };
                }
            }
            return await RunAsync(options, token).ConfigureAwait(false);
        }, ct));
        return command;
    }

    private static async Task<int> RunAsync(InstallOptions options, CancellationToken cancellationToken)
    {
        InstallReport report;
        try
        {
            report = await GuestPullInstaller.InstallAsync(options, cancellationToken).ConfigureAwait(false);
        }
        catch (InstallException ex)
        {
            await Console.Error.WriteLineAsync("guestpull install: error: " + ex.Message).ConfigureAwait(false);
            return CommandRunner.ExitFailure;
        }
        if (options.ConfigOnly)
        {
            var diff = InstallDiff.Unified(report.ConfigBefore ?? string.Empty, report.ConfigAfter ?? string.Empty, options.ContainerdConfig);
            await Console.Out.WriteAsync(diff.Length == 0 ? $"{options.ContainerdConfig}: no change\n" : diff).ConfigureAwait(false);
        }
        await InstallOutput.WriteAsync(report).ConfigureAwait(false);
        return 0;
    }
}
