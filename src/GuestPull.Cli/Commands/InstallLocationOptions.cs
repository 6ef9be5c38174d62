using System.CommandLine;
using GuestPull.Install;

namespace GuestPull.Cli.Commands;

/// <summary>The flags install, uninstall and doctor share: where containerd and GuestPull's files are, and the mode.</summary>
internal sealed class InstallLocationOptions
{
    private static readonly InstallOptions Defaults = new();

    public Option<string?> ContainerdConfig { get; } = new("--containerd-config") { Description = $"containerd's config file (default {Defaults.ContainerdConfig})", HelpName = "FILE" };

    public Option<string?> ContainerdAddress { get; } = new("--containerd-address") { Description = $"containerd's gRPC socket (default {Defaults.ContainerdAddress})", HelpName = "SOCK" };

    public Option<string?> ContainerdNamespace { get; } = new("--containerd-namespace") { Description = "containerd namespace of the images to purge and check (default k8s.io)", HelpName = "NS" };

    public Option<string?> Prefix { get; } = new("--prefix")
    {
        Description = "put everything GuestPull owns under DIR (bin/, lib/guestpull/, etc/guestpull/, var/lib/guestpull/, run/guestpull.sock); " +
            "default /usr/local/bin, /etc/guestpull, /var/lib/guestpull",
        HelpName = "DIR",
    };

    public Option<string?> StateDirectory { get; } = new("--state-dir") { Description = "where the install record, pid file and log go (default /var/lib/guestpull)", HelpName = "DIR" };

    public Option<string?> SnapshotterAddress { get; } = new("--snapshotter-address") { Description = $"the snapshotter's socket (default {Defaults.SnapshotterAddress})", HelpName = "SOCK" };

    public Option<string?> SnapshotterRoot { get; } = new("--snapshotter-root") { Description = $"the snapshotter's root (default {Defaults.SnapshotterRoot})", HelpName = "DIR" };

    public Option<string?> ShimConfig { get; } = new("--shim-config")
    {
        Description = $"the shim's config file (default {Defaults.ShimConfigFile}, or DIR/etc/guestpull/shim.toml with --prefix): " +
            "doctor checks the sandbox it selects; install writes a commented default there when there is none",
        HelpName = "FILE",
    };

    public Option<bool> RuntimeSpecific { get; } = new("--runtime-specific") { Description = "per-runtime snapshotter (containerd 1.7+) instead of the global one" };

    public Option<string?> RuntimeHandlers { get; } = new("--runtime-handlers") { Description = "comma-separated handlers for --runtime-specific (default guestpull and every Kata runtime declared)", HelpName = "LIST" };

    public Option<bool> Systemd { get; } = new("--systemd") { Description = "run the snapshotter as a systemd unit and restart containerd with systemctl (default when systemd runs)" };

    public Option<bool> Standalone { get; } = new("--standalone") { Description = "run the snapshotter as a detached process with a pid file in the state dir" };

    public Option<string?> RestartCommand { get; } = new("--containerd-restart-command")
    {
        Description = "standalone: shell command that restarts containerd and returns once the old one stopped (default: no restart)",
        HelpName = "CMD",
    };

    public Option<bool> NoRestart { get; } = new("--no-containerd-restart") { Description = "do not restart containerd nor wait for it (for a containerd started afterwards)" };

    public Option<int?> Timeout { get; } = new("--timeout") { Description = "seconds to wait for the snapshotter and containerd to answer (default 120)", HelpName = "SECONDS" };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[]
        {
            ContainerdConfig, ContainerdAddress, ContainerdNamespace, Prefix, StateDirectory, SnapshotterAddress, SnapshotterRoot, ShimConfig,
            RuntimeSpecific, RuntimeHandlers, Systemd, Standalone, RestartCommand, NoRestart, Timeout,
        })
        {
            command.Options.Add(option);
        }
    }

    public InstallOptions Read(ParseResult result)
    {
        if (result.GetValue(Systemd) && result.GetValue(Standalone))
        {
            throw new ArgumentException("--systemd and --standalone exclude each other");
        }
        var options = new InstallOptions();
        if (result.GetValue(Prefix) is { } prefix)
        {
            options = options.WithPrefix(prefix);
        }
        var handlers = result.GetValue(RuntimeHandlers)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (handlers is { Length: 0 })
        {
            throw new ArgumentException("--runtime-handlers needs at least one handler name");
        }
        var timeout = result.GetValue(Timeout);
        if (timeout is <= 0)
        {
            throw new ArgumentException($"--timeout must be a positive number of seconds, got {timeout}");
        }
        return options with
        {
            ContainerdConfig = Full(result.GetValue(ContainerdConfig)) ?? options.ContainerdConfig,
            ContainerdAddress = Full(result.GetValue(ContainerdAddress)) ?? options.ContainerdAddress,
            ContainerdNamespace = result.GetValue(ContainerdNamespace) ?? options.ContainerdNamespace,
            StateDirectory = Full(result.GetValue(StateDirectory)) ?? options.StateDirectory,
            SnapshotterAddress = Full(result.GetValue(SnapshotterAddress)) ?? options.SnapshotterAddress,
            SnapshotterRoot = Full(result.GetValue(SnapshotterRoot)) ?? options.SnapshotterRoot,
            ShimConfigPath = Full(result.GetValue(ShimConfig)),
            RuntimeSpecific = result.GetValue(RuntimeSpecific) || handlers is not null,
            RuntimeHandlers = handlers,
            ServiceMode = result.GetValue(Systemd) ? ServiceMode.Systemd : result.GetValue(Standalone) ? ServiceMode.Standalone : ServiceMode.Auto,
            ContainerdRestartCommand = result.GetValue(RestartCommand),
            SkipContainerdRestart = result.GetValue(NoRestart),
            ReadyTimeout = timeout is { } seconds ? TimeSpan.FromSeconds(seconds) : options.ReadyTimeout,
        };
    }

    private static string? Full(string? path) => path is null ? null : Path.GetFullPath(path);
}
