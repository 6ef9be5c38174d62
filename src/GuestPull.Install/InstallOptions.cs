using GuestPull.Configuration;

namespace GuestPull.Install;

/// <summary>
/// Where things are and what to do, for <c>guestpull install</c>, <c>uninstall</c> and <c>doctor</c>.
/// Defaults are a real node's paths; <see cref="WithPrefix"/> moves everything GuestPull owns under one directory.
/// </summary>
public sealed record InstallOptions
{
    /// <summary>containerd's config file.</summary>
    public string ContainerdConfig { get; init; } = "/etc/containerd/config.toml";

    /// <summary>containerd's gRPC socket.</summary>
    public string ContainerdAddress { get; init; } = "/run/containerd/containerd.sock";

    /// <summary>The containerd namespace images are purged from and looked at (CRI's is k8s.io).</summary>
    public string ContainerdNamespace { get; init; } = "k8s.io";

    /// <summary>Where the <c>guestpull</c> and <c>containerd-shim-guestpull-v2</c> links go.</summary>
    public string BinDirectory { get; init; } = "/usr/local/bin";

    /// <summary>Where the application files are copied (the links point here).</summary>
    public string LibDirectory { get; init; } = "/usr/local/lib/guestpull";

    /// <summary>Where the snapshotter's <c>config.toml</c> and the shim's <c>shim.toml</c> go.</summary>
    public string ConfigDirectory { get; init; } = GuestPullDefaults.ConfigDirectory;

    /// <summary>The install record, the standalone pid file and log.</summary>
    public string StateDirectory { get; init; } = "/var/lib/guestpull";

    /// <summary>Where the systemd unit goes.</summary>
    public string SystemdUnitDirectory { get; init; } = "/etc/systemd/system";

    /// <summary>The snapshotter's root directory.</summary>
    public string SnapshotterRoot { get; init; } = GuestPullDefaults.SnapshotterRoot;

    /// <summary>The snapshotter's unix socket.</summary>
    public string SnapshotterAddress { get; init; } = GuestPullDefaults.SnapshotterAddress;

    /// <summary>A snapshotter config.toml to install as is instead of the generated one (a mounted ConfigMap).</summary>
    public string? SnapshotterConfigSource { get; init; }

    /// <summary><c>proxy</c> (guest pull) or <c>overlayfs</c>.</summary>
    public string FsDriver { get; init; } = "proxy";

    /// <summary>systemd unit or standalone process.</summary>
    public ServiceMode ServiceMode { get; init; } = ServiceMode.Auto;

    /// <summary>Per-runtime snapshotter (containerd 1.7+) instead of the global one.</summary>
    public bool RuntimeSpecific { get; init; }

    /// <summary>Handlers that get GuestPull's snapshotter in runtime-specific mode; null: <c>guestpull</c> and every Kata runtime declared.</summary>
    public IReadOnlyList<string>? RuntimeHandlers { get; init; }

    /// <summary>Image names to delete from containerd before the switch.</summary>
    public IReadOnlyList<string> PurgeImages { get; init; } = [];

    /// <summary>Delete every image in <see cref="ContainerdNamespace"/> before the switch.</summary>
    public bool PurgeAllImages { get; init; }

    /// <summary>Do not copy binaries: run the snapshotter from <see cref="SourceDirectory"/> (a development tree).</summary>
    public bool SkipBinaries { get; init; }

    /// <summary>Only edit containerd's config (no binaries, service, restart).</summary>
    public bool ConfigOnly { get; init; }

    /// <summary>Standalone mode: a shell command that restarts containerd and returns once the old one stopped; null: not restarted.</summary>
    public string? ContainerdRestartCommand { get; init; }

    /// <summary>Do not restart containerd (and do not wait for it): for a containerd started after the install.</summary>
    public bool SkipContainerdRestart { get; init; }

    /// <summary>How long to wait for the snapshotter and containerd to answer.</summary>
    public TimeSpan ReadyTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Where the binaries come from: the running guestpull's directory.</summary>
    public string SourceDirectory { get; init; } = AppContext.BaseDirectory;

    /// <summary>The directories searched for the shim, as containerd's PATH; null: this process's PATH.</summary>
    public string? ShimSearchPath { get; init; }

    /// <summary>The Kubernetes node to label once ready (DaemonSet mode: <c>NODE_NAME</c>); null: no label.</summary>
    public string? NodeName { get; init; }

    /// <summary>The label put on the node when GuestPull is ready.</summary>
    public string NodeLabel { get; init; } = "guestpull.io/snapshotter";

    /// <summary>Also install and start the node cache (<c>guestpull cache</c>) and point the shim's agents at it (<c>install --cache</c>).</summary>
    public bool Cache { get; init; }

    /// <summary>
    /// A node cache that runs elsewhere (the cache DaemonSet, Spegel, Dragonfly), as <c>HOST:PORT</c>: set as the
    /// shim's <c>[agent] node_cache</c> without starting one (<c>install --node-cache</c>); null: none.
    /// </summary>
    public string? NodeCache { get; init; }

    /// <summary>The node cache's <c>HOST:PORT</c>; also what the shim hands its agents as <c>node_cache</c>.</summary>
    public string CacheListen { get; init; } = "127.0.0.1:5050";

    /// <summary>The node cache's directory of blobs (its data: uninstall deletes it only when install created it).</summary>
    public string CacheRoot { get; init; } = "/var/lib/guestpull/cache";

    /// <summary>The node cache's size limit, as <c>guestpull cache --max-size</c> takes it.</summary>
    public string CacheMaxSize { get; init; } = "20G";

    /// <summary>
    /// Every path GuestPull owns under <paramref name="prefix"/>: <c>bin/</c>, <c>lib/guestpull/</c>,
    /// <c>etc/guestpull/</c>, <c>var/lib/guestpull/</c> (the node cache's root among it), <c>etc/systemd/system/</c>, the snapshotter root
    /// <c>var/lib/containerd-guestpull</c> (kept by uninstall, like any snapshot data) and socket <c>run/guestpull.sock</c>.
    /// </summary>
    public InstallOptions WithPrefix(string prefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        var full = Path.GetFullPath(prefix);
        return this with
        {
            BinDirectory = Path.Combine(full, "bin"),
            LibDirectory = Path.Combine(full, "lib", "guestpull"),
            ConfigDirectory = Path.Combine(full, "etc", "guestpull"),
            StateDirectory = Path.Combine(full, "var", "lib", "guestpull"),
            SystemdUnitDirectory = Path.Combine(full, "etc", "systemd", "system"),
            SnapshotterRoot = Path.Combine(full, "var", "lib", "containerd-guestpull"),
            CacheRoot = Path.Combine(full, "var", "lib", "guestpull", "cache"),
            SnapshotterAddress = Path.Combine(full, "run", "guestpull.sock"),
        };
    }

    /// <summary>The snapshotter config file GuestPull writes.</summary>
    public string SnapshotterConfigFile => Path.Combine(ConfigDirectory, "config.toml");

    /// <summary>The shim's config file when it is not <c>shim.toml</c> in <see cref="ConfigDirectory"/> (<c>--shim-config</c>).</summary>
    public string? ShimConfigPath { get; init; }

    /// <summary>
    /// The shim's config file: doctor reads it, install writes a commented default there when there is none.
    /// By default <c>/etc/guestpull/shim.toml</c>, the file the shim itself reads when nothing names another.
    /// </summary>
    public string ShimConfigFile => ShimConfigPath ?? Path.Combine(ConfigDirectory, "shim.toml");

    /// <summary>The install record.</summary>
    public string StateFile => Path.Combine(StateDirectory, "install-state.json");

    /// <summary>The backup of containerd's config, made once.</summary>
    public string ContainerdConfigBackup => ContainerdConfig + ".bak.guestpull";

    /// <summary>The resolved service mode.</summary>
    public ServiceMode EffectiveServiceMode => ServiceMode != ServiceMode.Auto
        ? ServiceMode
        : Directory.Exists("/run/systemd/system") ? ServiceMode.Systemd : ServiceMode.Standalone;
}
