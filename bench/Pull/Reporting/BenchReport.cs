using GuestPull.Bench.Common.Image;

namespace GuestPull.Bench.Pull.Reporting;

/// Everything one run of the benchmark found, as printed and as written to JSON.
internal sealed class BenchReport
{
    public const string GuestPullCold = "guestpull-cold";
    public const string GuestPullWarm = "guestpull-warm";
    public const string GuestPullWarmAgent = "guestpull-warm-agent";
    public const string GuestPullEncrypted = "guestpull-cold-encrypted";
    public const string Containerd = "containerd";
    public const string SkopeoUmoci = "skopeo+umoci";
    public const double MegaByte = 1000 * 1000;

    public required DateTimeOffset StartedAt { get; init; }

    public required string Reference { get; init; }

    public required BenchImage Image { get; init; }

    public required int Runs { get; init; }

    public required bool Flatten { get; init; }

    /// Where the runs' files lived: the disk under TMPDIR or a tmpfs.
    public required string Scratch { get; init; }

    public required IReadOnlyList<ToolResult> Tools { get; init; }

    /// /proc/loadavg's 1-minute figure when the benchmark started; other work on the machine skews every timing.
    public required double LoadAtStart { get; init; }

    public double LoadAtEnd { get; } = ReadLoad();

    public string Machine { get; } = $"{Environment.ProcessorCount} CPUs, Linux {File.ReadAllText("/proc/sys/kernel/osrelease").Trim()}";

    /// The 1-minute load average.
    public static double ReadLoad() =>
        double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);

    public double? ColdVsContainerd => Ratio(GuestPullCold, Containerd);

    public double? ColdVsSkopeoUmoci => Ratio(GuestPullCold, SkopeoUmoci);

    /// The decryption's overhead: the cold pull of the encrypted image against the plain one.
    public double? EncryptedVsPlain => Ratio(GuestPullEncrypted, GuestPullCold);

    public IReadOnlyList<TargetResult> Targets =>
    [
        new("cold pull / containerd", "×", 0.7, ColdVsContainerd),
        new("cold pull / skopeo+umoci", "×", 0.5, ColdVsSkopeoUmoci),
        new("encrypted cold pull / plain cold pull", "×", 1.15, EncryptedVsPlain),
        new("guestpull peak RSS (cold and warm)", "MB", 150, GuestPullPeakRssMegabytes()),
        new("warm pull to a bundle, CLI process (median)", "s", 0.2, Find(GuestPullWarm) is { HasSamples: true } warm ? warm.MedianSeconds : null),
        new("warm pull to a bundle, in the agent's process (median)", "s", 0.2, Find(GuestPullWarmAgent) is { HasSamples: true } agent ? agent.MedianSeconds : null),
    ];

    public bool AllPassed => Targets.All(t => t.Pass == true) && Tools.All(t => t.Error is null);

    public ToolResult? Find(string name) => Tools.FirstOrDefault(t => t.Name == name);

    private double? GuestPullPeakRssMegabytes()
    {
        var measured = new[] { Find(GuestPullCold), Find(GuestPullWarm) }.Where(t => t is { HasSamples: true }).ToList();
        return measured.Count == 0 ? null : measured.Max(t => t!.PeakRssBytes) / MegaByte;
    }

    private double? Ratio(string numerator, string denominator) =>
        Find(numerator) is { HasSamples: true } top && Find(denominator) is { HasSamples: true } bottom
            ? top.MedianSeconds / bottom.MedianSeconds
            : null;
}
