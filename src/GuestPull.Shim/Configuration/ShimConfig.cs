using GuestPull.Configuration;
using GuestPull.Configuration.Sandbox;

namespace GuestPull.Shim.Configuration;

/// <summary>The shim's settings (TOML, see docs/shim.md).</summary>
internal sealed record ShimConfig
{
    public const string DefaultPath = GuestPullDefaults.ShimConfigFile;
    public const string PathVariable = "GUESTPULL_SHIM_CONFIG";

    /// <summary>Where shim sockets go; containerd's runc shims use the same directory.</summary>
    public string SocketDirectory { get; init; } = "/run/containerd/s";

    /// <summary>Per-pod state: the agent socket, its config, the sandbox's pid.</summary>
    public string StateRoot { get; init; } = "/run/guestpull/shim";

    /// <summary>Per-pod host directories shared with the sandbox (Kata's /run/kata-containers/shared/sandboxes).</summary>
    public string SharedRoot { get; init; } = GuestPullDefaults.SandboxSharedRoot;

    /// <summary>How long the agent may take to answer after the sandbox starts.</summary>
    public TimeSpan AgentStartTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The guestpull binary that runs the agent; null to re-use the shim's own.</summary>
    public string? GuestPullPath { get; init; }

    /// <summary>The agent's TOML for a namespace sandbox, rendered from the [agent] table.</summary>
    public string AgentToml { get; init; } = string.Empty;

    /// <summary>The [agent] table's entries as written (strings, integers, booleans, string lists), for a VM's own rendering.</summary>
    public IReadOnlyList<KeyValuePair<string, object>> AgentEntries { get; init; } = [];

    /// <summary>What isolates the pod: a VM (default) or host namespaces.</summary>
    public SandboxKind Sandbox { get; init; } = ShimSandboxSection.DefaultKind;

    /// <summary>The [vm] table.</summary>
    public VmSettings Vm { get; init; } = new();

    /// <summary>The file the settings came from, or null for the defaults.</summary>
    public string? Source { get; init; }

    /// <summary>Problems that did not stop the shim (unknown keys).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}
