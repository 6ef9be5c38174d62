namespace GuestPull.Bench.Pull.Contenders;

/// `guestpull pull --decryption-key --bundle` of the encrypted copy into an empty store: as guestpull-cold, plus decryption.
internal sealed class GuestPullEncryptedContender(BenchContext context, EncryptedImage image) : IContender
{
    public string Name => Reporting.BenchReport.GuestPullEncrypted;

    public string Description =>
        $"guestpull pull --decryption-key KEY --root <fresh> --bundle <fresh>{(context.Flatten ? " --flatten" : string.Empty)} of the image skopeo encrypted (jwe, RSA); RSS: ru_maxrss of the guestpull process";

    public Task PrepareAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task<Sample> RunOnceAsync(int run, CancellationToken cancellationToken)
    {
        var directory = context.FreshDirectory($"guestpull-encrypted-{run}");
        var bundle = Path.Combine(directory, "bundle");
        try
        {
            var measurement = await GuestPullRunner.PullAsync(context, Path.Combine(directory, "root"), bundle, cancellationToken, image.Reference, ["--decryption-key", image.PrivateKey]).ConfigureAwait(false);
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
