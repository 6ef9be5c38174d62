namespace GuestPull.Testing.Containerd;

/// Settings for <see cref="ContainerdInstance.StartAsync"/>.
public sealed class ContainerdOptions
{
    /// Whether the CRI plugin runs. Off by default: it is slow to start and most tests only need the
    /// core services. When on, the fixture writes the `[plugins."io.containerd.grpc.v1.cri"]` table
    /// (with <see cref="SandboxImage"/>, `restrict_oom_score_adj = true` and <see cref="CriSettings"/>)
    /// and its `.cni` table (private bin and conf dirs); other CRI sub-tables go in <see cref="ExtraConfig"/>.
    public bool EnableCri { get; init; }

    /// The CRI `sandbox_image` (an offline test registry's pause image, typically). Only used with CRI.
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

    /// The containerd binary; found on PATH by default.
    public string ContainerdPath { get; init; } = "containerd";

    /// The ctr binary used to probe readiness and by <see cref="ContainerdInstance.RunCtrAsync"/>.
    public string CtrPath { get; init; } = "ctr";
}
