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
            Description = "read FS_DRIVER, ENABLE_CONFIG_FROM_VOLUME, ENABLE_RUNTIME_SPECIFIC_SNAPSHOTTER, ENABLE_SYSTEMD_SERVICE, ENABLE_NODE_CACHE, NODE_CACHE (the DaemonSet's ConfigMap) " +
                "and label NODE_NAME when running in a pod",
        };
        var configOnly = new Option<bool>("--config-only") { Description = "only edit containerd's config and print the change (and delete the images --purge-host-images names, if given)" };
        var fsDriver = new Option<string?>("--fs-driver") { Description = "snapshotter driver: proxy (guest pull, default) or overlayfs", HelpName = "DRIVER" };
        var skipBinaries = new Option<bool>("--skip-binaries") { Description = "run the snapshotter from this build instead of copying the binaries" };
        var defaults = new InstallOptions();
        var cache = new Option<bool>("--cache")
        {
            Description = "also install and start the node cache (guestpull cache, as a systemd unit or a detached process like the snapshotter) " +
                "and set [agent] node_cache in the shim's config so every pod's agent fetches content named by digest through it (docs/cache.md)",
        };
        var cacheListen = new Option<string?>("--cache-listen") { Description = $"the node cache's HOST:PORT (default {defaults.CacheListen})", HelpName = "HOST:PORT" };
        var cacheRoot = new Option<string?>("--cache-root") { Description = $"the node cache's directory (default {defaults.CacheRoot})", HelpName = "DIR" };
        var cacheMaxSize = new Option<string?>("--cache-max-size") { Description = $"the node cache's size limit (default {defaults.CacheMaxSize})", HelpName = "SIZE" };
        var nodeCache = new Option<string?>("--node-cache")
        {
            Description = "set [agent] node_cache in the shim's config to a node cache that runs elsewhere (the cache DaemonSet, Spegel, Dragonfly) without starting one",
            HelpName = "HOST:PORT",
        };
        var command = new Command("install", "Install GuestPull's snapshotter and switch containerd to it (idempotent; rolls back on failure)");
        locations.AddTo(command);
        foreach (var option in new Option[] { purge, purgeAll, fromEnv, configOnly, fsDriver, skipBinaries, cache, cacheListen, cacheRoot, cacheMaxSize, nodeCache })
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
                Cache = result.GetValue(cache),
                NodeCache = result.GetValue(nodeCache),
            };
            if (options.NodeCache is not null && options.ConfigOnly)
            {
                throw new ArgumentException("--node-cache edits the shim's config; it does not go with --config-only");
            }
            options = ReadCacheOptions(options, result, cacheListen, cacheRoot, cacheMaxSize);
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

    private static InstallOptions ReadCacheOptions(InstallOptions options, ParseResult result, Option<string?> listen, Option<string?> root, Option<string?> maxSize)
    {
        var given = new[] { listen, root, maxSize }.Where(option => result.GetResult(option) is not null).Select(option => option.Name).ToList();
        if (!options.Cache)
        {
            return given.Count == 0 ? options : throw new ArgumentException($"{string.Join(", ", given)} need --cache");
        }
        if (options.ConfigOnly)
        {
            throw new ArgumentException("--cache starts a service; it does not go with --config-only");
        }
        if (result.GetValue(maxSize) is { } size)
        {
            _ = SizeParser.Parse(size, "--cache-max-size");
            options = options with { CacheMaxSize = size.Trim() };
        }
        if (result.GetValue(listen) is { } address)
        {
            options = options with { CacheListen = address };
        }
        return result.GetValue(root) is { } directory ? options with { CacheRoot = Path.GetFullPath(directory) } : options;
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
