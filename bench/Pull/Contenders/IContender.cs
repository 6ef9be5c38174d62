namespace GuestPull.Bench.Pull.Contenders;

/// One way of pulling the benchmark image to a runnable root filesystem.
internal interface IContender : IAsyncDisposable
{
    /// Short key used in the table and the JSON.
    string Name { get; }

    /// What was timed and whose memory the RSS figure covers.
    string Description { get; }

    /// Untimed setup before the first run.
    Task PrepareAsync(CancellationToken cancellationToken);

    /// One timed pull from scratch (as the contender defines scratch), cleaned up afterwards.
    Task<Sample> RunOnceAsync(int run, CancellationToken cancellationToken);
}
