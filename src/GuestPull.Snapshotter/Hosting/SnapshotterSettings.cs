using Microsoft.Extensions.Logging;

namespace GuestPull.Snapshotter.Hosting;

/// <summary>The configuration in force: flags over the file over the defaults.</summary>
internal sealed record SnapshotterSettings(
    string Root,
    string Address,
    SnapshotterDriver Driver,
    LogLevel LogLevel,
    bool LogToStdout,
    bool AllowHostRootfs,
    bool DiscardHostLayers,
    IReadOnlyList<string> Warnings);
