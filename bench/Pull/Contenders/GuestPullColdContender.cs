namespace GuestPull.Bench.Pull.Contenders;

/// `guestpull pull --bundle` into an empty layer store: download, verify, unpack every layer, write the bundle.
internal sealed class GuestPullColdContender(BenchContext context) : IContender
{
    public string Name => "guestpull-cold";

    public string Description =>
        $"guestpull pull --root <fresh> --bundle <fresh>{(context.Flatten ? " --flatten" : string.Empty)}; RSS: ru_maxrss of the guestpull process";

    public Task PrepareAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<Sample> RunOnceAsync(int run, CancellationToken cancellationToken) =>
        GuestPullRunner.ColdPullAsync(context, $"guestpull-cold-{run}", cancellationToken);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
