namespace GuestPull.Bench.Pull.Reporting;

/// One of the benchmark's targets (bench/Pull/README.md, "Targets"): the measured value against its limit (both in the unit named).
internal sealed record TargetResult(string Name, string Unit, double Limit, double? Actual)
{
    /// Null when a contender failed and the value could not be measured.
    public bool? Pass => Actual is { } actual && !double.IsNaN(actual) ? actual <= Limit : null;

    public string Verdict => Pass switch
    {
        true => "PASS",
        false => "MISS",
        null => "n/a",
    };
}
