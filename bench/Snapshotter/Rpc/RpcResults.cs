using GuestPull.Bench.Snapshotter.Measurement;

namespace GuestPull.Bench.Snapshotter.Rpc;

/// The snapshots RPC part's figures: one summary per call type (Prepare, Commit, Stat, Remove, each
/// over every snapshot), the Stat sample taken with <see cref="RpcSettings.StatSnapshots"/> snapshots
/// present, and whole cycles per second over the four phases.
internal sealed record RpcResults(
    RpcSettings Settings,
    IReadOnlyList<LatencySummary> Calls,
    LatencySummary StatWithSnapshotsPresent,
    double CyclesPerSecond);
