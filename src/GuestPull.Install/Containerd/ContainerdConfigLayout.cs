namespace GuestPull.Install.Containerd;

/// <summary>
/// Where the settings GuestPull edits live in each containerd config schema: version 2 (containerd
/// 1.6 and 1.7, one CRI plugin) and version 3 (containerd 2.x, the CRI plugin split into images and runtime).
/// </summary>
internal sealed class ContainerdConfigLayout
{
    private ContainerdConfigLayout(int version, string[] imageSettings, string[] runtimes, string[]? runtimePlatforms)
    {
        Version = version;
        ImageSettingsTable = imageSettings;
        RuntimesTable = runtimes;
        RuntimePlatformsTable = runtimePlatforms;
    }

    public int Version { get; }

    /// <summary>The table holding <c>snapshotter</c>, <c>disable_snapshot_annotations</c> and <c>discard_unpacked_layers</c>.</summary>
    public IReadOnlyList<string> ImageSettingsTable { get; }

    /// <summary>The parent of the <c>runtimes.NAME</c> tables.</summary>
    public IReadOnlyList<string> RuntimesTable { get; }

    public IReadOnlyList<string> Runtime(string handler) => [.. RuntimesTable, handler];

    /// <summary>
    /// Version 3 only: the parent of the images service's <c>runtime_platforms.NAME</c> tables, where
    /// containerd 2.x's <c>PullImage</c> looks up a runtime handler's snapshotter (containerd before 2.3
    /// does not read the runtime table's <c>snapshotter</c> there). Null for version 2.
    /// </summary>
    public IReadOnlyList<string>? RuntimePlatformsTable { get; }

    /// <summary>The <c>runtime_platforms.NAME</c> table of a handler; null for version 2.</summary>
    public IReadOnlyList<string>? RuntimePlatform(string handler) => RuntimePlatformsTable is { } table ? [.. table, handler] : null;

    public static IReadOnlyList<string> ProxyPlugin(string name) => ["proxy_plugins", name];

    public static ContainerdConfigLayout ForVersion(int version, string source) => version switch
    {
        2 => new ContainerdConfigLayout(2,
            ["plugins", "io.containerd.grpc.v1.cri", "containerd"],
            ["plugins", "io.containerd.grpc.v1.cri", "containerd", "runtimes"],
            null),
        3 => new ContainerdConfigLayout(3,
            ["plugins", "io.containerd.cri.v1.images"],
            ["plugins", "io.containerd.cri.v1.runtime", "containerd", "runtimes"],
            ["plugins", "io.containerd.cri.v1.images", "runtime_platforms"]),
        1 => throw new InstallException(
            $"{source} has no 'version' key, so containerd reads it as a version 1 config; GuestPull edits version 2 " +
            "(containerd 1.6/1.7) and version 3 (containerd 2.x) configs only. Convert it first: 'containerd config migrate' " +
            "on 2.x, or start from 'containerd config default' and carry your settings over."),
        _ => throw new InstallException(
            $"{source} declares version = {version}; GuestPull knows containerd config versions 2 (containerd 1.6/1.7) and 3 (2.x)."),
    };
}
