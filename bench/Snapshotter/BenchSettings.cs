using GuestPull.Bench.Snapshotter.Rpc;

namespace GuestPull.Bench.Snapshotter;

/// The benchmark's command-line settings.
internal sealed record BenchSettings(
    RpcSettings Rpc,
    int PullRuns,
    TimeSpan PullTimeout,
    string PullCacheDirectory,
    string ImageCacheDirectory,
    bool BuildOwnImage,
    bool SkipPull,
    string ResultsPath);
