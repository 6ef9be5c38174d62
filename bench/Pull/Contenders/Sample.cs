namespace GuestPull.Bench.Pull.Contenders;

/// One timed pull: wall seconds, the peak RSS the contender is charged with, CPU seconds (user + system)
/// and contender-specific figures (per-step times, daemon RSS parts).
internal sealed record Sample(double Seconds, long PeakRssBytes, double CpuSeconds, IReadOnlyDictionary<string, double> Details);
