namespace GuestPull.Bench.Pull;

/// The benchmark's command-line settings.
internal sealed record BenchSettings(
    string CacheDirectory,
    int Runs,
    string GuestPullPath,
    string ResultsPath,
    bool Flatten,
    string Mirror,
    bool RebuildImage,
    TimeSpan RunTimeout,
    string? TmpfsSize);
