using GuestPull.Bench.Pull.Measurement;

namespace GuestPull.Bench.Pull.Contenders;

/// `guestpull pull --bundle` into an empty layer store: download, verify, unpack every layer, write the bundle.
internal sealed class GuestPullColdContender(BenchContext context) : IContender
{
    public string Name => "guestpull-cold";

    public string Description =>
        $"guestpull pull --root <fresh> --bundle <fresh>{(context.Flatten ? " --flatten" : string.Empty)}; RSS: ru_maxrss of the guestpull process";

    public Task PrepareAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task<Sample> RunOnceAsync(int run, CancellationToken cancellationToken)
    {
        var directory = context.FreshDirectory($"guestpull-cold-{run}");
        var bundle = Path.Combine(directory, "bundle");
        try
        {
            var measurement = await GuestPullRunner.PullAsync(context, Path.Combine(directory, "root"), bundle, cancellationToken).ConfigureAwait(false);
            return GuestPullRunner.ToSample(measurement);
        }
        finally
        {
            await Cleanup.RemoveGuestPullBundleAsync(context.GuestPullPath, bundle, CancellationToken.None).ConfigureAwait(false);
            await Cleanup.UnmountUnderAsync(directory, CancellationToken.None).ConfigureAwait(false);
            Cleanup.DeleteDirectory(directory);
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
