namespace GuestPull.Bench.Pod;

/// The benchmark's command-line settings.
internal sealed record BenchSettings(
    string CacheDirectory,
    int Runs,
    string GuestPullPath,
    string GuestImageDirectory,
    string ResultsPath,
    string Mirror,
    bool RebuildImage,
    TimeSpan RunTimeout,
    IReadOnlyList<string> Contenders,
    string? TmpfsSize);
