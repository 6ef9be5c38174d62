using GuestPull.Install.Containerd;

namespace GuestPull.Install.State;

/// <summary>One completed install step and what undoing it needs. Flat on purpose: it is the JSON record.</summary>
internal sealed class InstallStep
{
    public const string Binaries = "binaries";
    public const string SnapshotterConfig = "snapshotter-config";
    public const string ShimConfig = "shim-config";
    public const string SystemdUnit = "systemd-unit";
    public const string StandaloneProcess = "standalone-process";
    public const string ContainerdConfig = "containerd-config";
    public const string NodeLabel = "node-label";
    public const string CacheUnit = "cache-unit";
    public const string CacheProcess = "cache-process";
    public const string ShimNodeCache = "shim-node-cache";

    public required string Kind { get; init; }

    /// <summary>Files, links and directories the step created (removed on undo, deepest first).</summary>
    public List<string> CreatedPaths { get; init; } = [];

    /// <summary>The file the step wrote.</summary>
    public string? Path { get; init; }

    /// <summary>The file's content before the step (null: it did not exist).</summary>
    public string? PreviousContent { get; init; }

    /// <summary>Whether the step created <see cref="Path"/>.</summary>
    public bool CreatedFile { get; init; }

    /// <summary>SHA-256 of what the step wrote, to tell whether anyone changed the file since.</summary>
    public string? WrittenSha256 { get; init; }

    /// <summary>The backup made of <see cref="Path"/> by this step (null: it already existed, or there was nothing to back up).</summary>
    public string? BackupPath { get; init; }

    public List<ConfigChange> Changes { get; init; } = [];

    public List<string[]> CreatedTables { get; init; } = [];

    public string? PidFile { get; init; }

    public string? UnitName { get; init; }

    public string? NodeName { get; init; }

    public string? Label { get; init; }

    /// <summary>The value a step set in a file (the shim's <c>node_cache</c>), to remove just that when the file changed since.</summary>
    public string? Value { get; init; }

    /// <summary>A directory replaced by the step, kept until the install completes.</summary>
    public string? ReplacedDirectory { get; init; }
}
