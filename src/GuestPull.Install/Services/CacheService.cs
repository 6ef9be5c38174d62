using GuestPull.Install.State;
using GuestPull.Linux;

namespace GuestPull.Install.Services;

/// <summary>
/// <c>install --cache</c>: the node cache (<c>guestpull cache</c>) as a systemd unit or a detached process,
/// the same way as the snapshotter, started and waited for until it answers <c>GET /v2/</c>.
/// </summary>
internal static class CacheService
{
    private const string Subcommand = "cache";

    public static string PidFile(InstallOptions options) => Path.Combine(options.StateDirectory, "cache.pid");

    public static string LogFile(InstallOptions options) => Path.Combine(options.StateDirectory, "cache.log");

    /// <summary>
    /// Where clients on this node reach a cache listening on <paramref name="listen"/>: the address itself,
    /// or loopback for a wildcard address (0.0.0.0, [::]).
    /// </summary>
    public static string ClientAddress(string listen)
    {
        ArgumentException.ThrowIfNullOrEmpty(listen);
        var colon = listen.LastIndexOf(':');
        var host = colon <= 0 ? string.Empty : listen[..colon].Trim('[', ']');
        var port = colon < 0 ? string.Empty : listen[(colon + 1)..];
        if (!ushort.TryParse(port, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number) || number == 0
            || (host != "localhost" && !System.Net.IPAddress.TryParse(host, out _)))
        {
            throw new InstallException($"--cache-listen: \"{listen}\" is not HOST:PORT with an IP address (or localhost) and a port from 1 to 65535");
        }
        return listen[..colon] switch
        {
            "0.0.0.0" => "127.0.0.1:" + port,
            "[::]" => "[::1]:" + port,
            _ => listen,
        };
    }

    /// <summary>The running cache's pid from the pid file, or null when none runs.</summary>
    public static int? RunningPid(string pidFile) => DetachedProcess.RunningPid(pidFile, Subcommand);

    public static async Task StartAsync(InstallOptions options, InstallState state, List<InstallStep> done, InstallReport report, CancellationToken cancellationToken)
    {
        var launcher = GuestPullLauncher.InDirectory(options.SkipBinaries ? options.SourceDirectory : options.LibDirectory);
        // The blobs are the cache's data: uninstall deletes the directory only when this install made it.
        List<string> createdRoot = Directory.Exists(options.CacheRoot) ? [] : [options.CacheRoot];
        var standalone = options.EffectiveServiceMode != ServiceMode.Systemd;
        if (!standalone)
        {
            var unitPath = Path.Combine(options.SystemdUnitDirectory, CacheUnit.Name);
            var binary = options.SkipBinaries ? launcher.FileName : Path.Combine(options.BinDirectory, "guestpull");
            var content = CacheUnit.Render(binary, options.CacheListen, options.CacheRoot, options.CacheMaxSize);
            var previous = File.Exists(unitPath) ? await File.ReadAllTextAsync(unitPath, cancellationToken).ConfigureAwait(false) : null;
            FileWriter.WriteAtomically(unitPath, content);
            GuestPullInstaller.Record(options, state, done, new InstallStep
            {
                Kind = InstallStep.CacheUnit, Path = unitPath, PreviousContent = previous, CreatedFile = previous is null, UnitName = CacheUnit.Name, CreatedPaths = createdRoot,
            });
            if (await SystemdService.VerifyAsync(unitPath, cancellationToken).ConfigureAwait(false) is { } complaint)
            {
                report.Warn($"systemd-analyze verify {unitPath}: {complaint}");
            }
            await SystemdService.RunAsync(cancellationToken, "daemon-reload").ConfigureAwait(false);
            await SystemdService.RunAsync(cancellationToken, "enable", unitPath).ConfigureAwait(false);
            await SystemdService.RunAsync(cancellationToken, "restart", CacheUnit.Name).ConfigureAwait(false);
            report.Step($"installed and started {CacheUnit.Name}");
        }
        else
        {
            var pidFile = PidFile(options);
            if (RunningPid(pidFile) is { } running)
            {
                // A re-install with other flags must not keep serving the old ones.
                await DetachedProcess.StopAsync(pidFile, Subcommand, TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
                report.Step($"stopped the running node cache (pid {running}) to restart it");
            }
            var pid = await DetachedProcess.StartAsync(launcher, Arguments(options), LogFile(options), pidFile, cancellationToken).ConfigureAwait(false);
            var step = new InstallStep { Kind = InstallStep.CacheProcess, PidFile = pidFile, CreatedPaths = createdRoot };
            if (state.Find(InstallStep.CacheProcess) is null)
            {
                GuestPullInstaller.Record(options, state, done, step);
            }
            else
            {
                done.Add(step);
            }
            report.Step($"started the node cache (pid {pid}, pid file {pidFile}, log {LogFile(options)})");
        }
        await WaitUntilServingAsync(options, standalone, cancellationToken).ConfigureAwait(false);
        report.Step($"the node cache answers on http://{ClientAddress(options.CacheListen)}/v2/ (root {options.CacheRoot}, limit {options.CacheMaxSize})");
    }

    public static async Task UndoAsync(InstallOptions options, InstallStep step, InstallReport report, CancellationToken cancellationToken)
    {
        if (step.Kind == InstallStep.CacheUnit)
        {
            await InstallUndo.TrySystemctlAsync(report, cancellationToken, "disable", "--now", step.UnitName ?? CacheUnit.Name).ConfigureAwait(false);
            InstallUndo.RestoreFile(step);
            await InstallUndo.TrySystemctlAsync(report, cancellationToken, "daemon-reload").ConfigureAwait(false);
            report.Step(step.CreatedFile ? $"removed {step.Path}" : $"restored {step.Path}");
        }
        else
        {
            await DetachedProcess.StopAsync(step.PidFile ?? PidFile(options), Subcommand, TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
            File.Delete(LogFile(options));
            report.Step("stopped the node cache");
        }
        foreach (var root in step.CreatedPaths.Where(Directory.Exists))
        {
            TreeRemover.Delete(root);
            report.Step($"deleted the node cache's blobs ({root})");
        }
    }

    /// <summary>Null when a distribution API answers <c>GET /v2/</c> at <paramref name="address"/>, else what went wrong.</summary>
    public static async Task<string?> ProbeAsync(string address, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            using var response = await http.GetAsync(new Uri($"http://{address}/v2/"), cancellationToken).ConfigureAwait(false);
            return response.IsSuccessStatusCode ? null : $"GET http://{address}/v2/ answered {(int)response.StatusCode} {response.ReasonPhrase}";
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return $"GET http://{address}/v2/ failed: {ex.Message}";
        }
    }

    private static string[] Arguments(InstallOptions options) =>
        [Subcommand, "--listen", options.CacheListen, "--root", options.CacheRoot, "--max-size", options.CacheMaxSize];

    private static async Task WaitUntilServingAsync(InstallOptions options, bool standalone, CancellationToken cancellationToken)
    {
        var address = ClientAddress(options.CacheListen);
        var deadline = DateTime.UtcNow + options.ReadyTimeout;
        while (true)
        {
            var problem = await ProbeAsync(address, cancellationToken).ConfigureAwait(false);
            if (problem is null)
            {
                return;
            }
            if (standalone && RunningPid(PidFile(options)) is null)
            {
                throw new InstallException($"the node cache exited while starting; its log ends with:\n{DetachedProcess.LogTail(LogFile(options))}");
            }
            if (DateTime.UtcNow > deadline)
            {
                var where = standalone ? $"its log: {LogFile(options)}" : $"journalctl -u {CacheUnit.Name}";
                throw new InstallException($"the node cache did not answer within {options.ReadyTimeout.TotalSeconds:0} s: {problem} ({where})");
            }
            await Task.Delay(200, cancellationToken).ConfigureAwait(false);
        }
    }
}
