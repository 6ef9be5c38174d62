using GuestPull.Bench.Pull.Measurement;

namespace GuestPull.Bench.Pull.Contenders;

/// `guestpull pull --bundle` with every layer already in the store: manifest check plus bundle setup.
internal sealed class GuestPullWarmContender(BenchContext context) : IContender
{
    private string? _directory;

    public string Name => "guestpull-warm";

    public string Description =>
        $"guestpull pull --root <filled> --bundle <fresh>{(context.Flatten ? " --flatten" : string.Empty)}; RSS: ru_maxrss of the guestpull process";

    private string Root => Path.Combine(_directory!, "root");

    /// Fills the store once, without a bundle and without timing.
    public async Task PrepareAsync(CancellationToken cancellationToken)
    {
        _directory = context.FreshDirectory("guestpull-warm");
        var measurement = await GuestPullRunner.PullAsync(context, Root, bundle: null, cancellationToken).ConfigureAwait(false);
        await measurement.EnsureSucceededAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<Sample> RunOnceAsync(int run, CancellationToken cancellationToken)
    {
        var bundle = Path.Combine(_directory!, $"bundle-{run}");
        try
        {
            var measurement = await GuestPullRunner.PullAsync(context, Root, bundle, cancellationToken).ConfigureAwait(false);
            return GuestPullRunner.ToSample(measurement);
        }
        finally
        {
            await Cleanup.RemoveGuestPullBundleAsync(context.GuestPullPath, bundle, CancellationToken.None).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_directory is not null)
        {
            await Cleanup.UnmountUnderAsync(_directory, CancellationToken.None).ConfigureAwait(false);
            Cleanup.DeleteDirectory(_directory);
        }
    }
}
