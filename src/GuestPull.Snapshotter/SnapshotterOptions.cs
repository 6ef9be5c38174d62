using GuestPull.Configuration;

namespace GuestPull.Snapshotter;

/// <summary>
/// What `guestpull snapshotter` was asked for on its command line. Null means "not given": the
/// config file's value applies, else the default. Flags override the file.
/// </summary>
public sealed class SnapshotterOptions
{
    /// <summary>Default root directory (the snapshots and the metadata database).</summary>
    public const string DefaultRoot = GuestPullDefaults.SnapshotterRoot;

    /// <summary>Default unix socket containerd connects to.</summary>
    public const string DefaultAddress = GuestPullDefaults.SnapshotterAddress;

    /// <summary>`--config`: a TOML file in nydus-snapshotter's format (its `config-proxy.toml` is accepted as is).</summary>
    public string? ConfigFile { get; init; }

    /// <summary>`--root`.</summary>
    public string? Root { get; init; }

    /// <summary>`--address`: the unix socket path.</summary>
    public string? Address { get; init; }

    /// <summary>`--fs-driver`: `proxy` or `overlayfs`.</summary>
    public string? FsDriver { get; init; }

    /// <summary>`--log-level`: trace, debug, info, warn, error or none.</summary>
    public string? LogLevel { get; init; }

    /// <summary>`--log-to-stdout`: log to standard output instead of standard error.</summary>
    public bool? LogToStdout { get; init; }
}
