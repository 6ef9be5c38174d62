using GuestPull.Bench.Snapshotter.Pull;
using GuestPull.Bench.Snapshotter.Rpc;

namespace GuestPull.Bench.Snapshotter.Reporting;

/// Everything one run measured; a part that failed has its error instead of its results.
internal sealed record BenchReport(
    DateTimeOffset StartedAt,
    string Machine,
    double LoadAtStart,
    double LoadAtEnd,
    RpcResults? Rpc,
    string? RpcError,
    PullResults? Pull,
    string? PullError,
    IReadOnlyList<TargetResult> Targets)
{
    public const double MegaByte = 1e6;

    public bool AllPassed => Targets.All(target => target.Pass);
}
