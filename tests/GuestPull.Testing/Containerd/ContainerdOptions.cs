namespace GuestPull.Testing.Containerd;

/// Settings for <see cref="ContainerdInstance.StartAsync"/>.
public sealed class ContainerdOptions
{
    /// Whether the CRI plugin runs. Off by default: it is slow to start and most tests only need the
    /// core services. When on, the fixture writes the `[plugins."io.containerd.grpc.v1.cri"]` table
    /// (with <see cref="SandboxImage"/>, `restrict_oom_score_adj = true` and <see cref="CriSettings"/>)
    /// and its `.cni` table (private bin and conf dirs); other CRI sub-tables go in <see cref="ExtraConfig"/>.
    /// With a 2.x <see cref="Release"/> (config version 3) the same settings go to the split tables:
    /// `io.containerd.cri.v1.images` (`pinned_images.sandbox`, `registry.config_path`) and
    /// `io.containerd.cri.v1.runtime` (`restrict_oom_score_adj`, `cni`); <see cref="CriSettings"/> stay in
    /// `io.containerd.grpc.v1.cri`, which 2.x keeps for the server settings.
    public bool EnableCri { get; init; }

    /// The CRI `sandbox_image` (`pinned_images.sandbox` in version 3): an offline test registry's pause image, typically. Only used with CRI.
    public string? SandboxImage { get; init; }

    /// Extra `key = value` lines for the CRI plugin table; values are raw TOML (quote strings yourself),
    /// e.g. `["disable_snapshot_annotations"] = "false"`.
    public IReadOnlyDictionary<string, string>? CriSettings { get; init; }

    /// Raw TOML appended to the generated config, for tables the fixture does not write itself
    /// (`[proxy_plugins.NAME]`, `[plugins."io.containerd.grpc.v1.cri".containerd]`, registry mirrors...).
    /// It must not repeat a table header the fixture writes: `[grpc]`, `[ttrpc]`, `[debug]`, `[metrics]`,
    /// `[plugins."io.containerd.internal.v1.opt"]`, and with CRI the plugin table and its `.cni` table.
    public string? ExtraConfig { get; init; }

    /// Variables for the containerd process (a PATH that finds a test shim, for instance); a null value removes one.
    public IReadOnlyDictionary<string, string?>? Environment { get; init; }

    /// containerd's `--log-level`.
    public string LogLevel { get; init; } = "info";

    /// How long to wait for the gRPC and ttrpc sockets to answer. Generous: a loaded CI machine is slow.
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// How long containerd gets to exit after SIGTERM before it is killed.
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// The release to run: its directory's `containerd`, `ctr` and `containerd-shim-runc-v2` (the directory
    /// also goes first on containerd's PATH, so runc pods get the shim of the same release), and its config
    /// schema: version 2 for 1.x, version 3 for 2.x. Debian 12's 1.6 on PATH by default.
    public ContainerdRelease Release { get; init; } = ContainerdRelease.OnPath;

    /// The containerd binary: the release's unless set.
    public string ContainerdPath
    {
        get => _containerdPath ?? Release.ContainerdPath;
        init => _containerdPath = value;
    }

    /// The ctr binary used to probe readiness and by <see cref="ContainerdInstance.RunCtrAsync"/>: the release's unless set.
    public string CtrPath
    {
        get => _ctrPath ?? Release.CtrPath;
        init => _ctrPath = value;
    }

    /// Registries (`HOST:PORT`) CRI reaches over plain HTTP: `registry.mirrors` in a version 2 config,
    /// a `hosts.toml` under `registry.config_path` in version 3 (2.x dropped the mirrors table).
    public IReadOnlyList<string> PlainHttpRegistries { get; init; } = [];

    /// Called with the config's path after the fixture wrote it and before containerd starts: a test
    /// edits the file there the way an operator would (`guestpull install --config-only`, for instance).
    public Func<string, CancellationToken, Task>? EditConfig { get; init; }

    private readonly string? _containerdPath;
    private readonly string? _ctrPath;
}
