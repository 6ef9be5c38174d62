namespace GuestPull.Bench.Snapshotter.Reporting;

/// One target (bench/Snapshotter/README.md, "Targets"), against what this run measured (null when that part failed).
internal sealed record TargetResult(string Name, double Limit, string Unit, double? Actual)
{
    public bool Pass => Actual is { } actual && actual <= Limit;

    public string Verdict => Actual is null ? "MISS (not measured)" : Pass ? "PASS" : "MISS";
}
