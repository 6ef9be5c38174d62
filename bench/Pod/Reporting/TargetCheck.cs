using System.Globalization;

namespace GuestPull.Bench.Pod.Reporting;

/// One of the issue's targets and how the run fared. <see cref="Actual"/> is null when it could not be
/// measured (a contender failed, a figure is missing), which never counts as a pass.
internal sealed record TargetCheck(string Name, bool AtMost, double Limit, string Unit, double? Actual)
{
    public bool? Pass => Actual is { } actual ? AtMost ? actual <= Limit : actual >= Limit : null;

    public string Verdict => Pass switch { true => "PASS", false => "MISS", null => "n/a" };

    public string Describe(int decimals)
    {
        var actual = Actual is { } value ? value.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) + Unit + " " + Verdict : "n/a (not measured)";
        return string.Create(CultureInfo.InvariantCulture, $"{Name} {(AtMost ? "≤" : "≥")} {Limit}{Unit}: {actual}");
    }
}
