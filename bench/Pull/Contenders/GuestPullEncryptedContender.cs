namespace GuestPull.Bench.Pull.Contenders;

/// `guestpull pull --decryption-key --bundle` of the encrypted copy into an empty store: as guestpull-cold, plus decryption.
internal sealed class GuestPullEncryptedContender(BenchContext context, EncryptedImage image) : IContender
{
    public string Name => Reporting.BenchReport.GuestPullEncrypted;

    public string Description =>
        $"guestpull pull --decryption-key KEY --root <fresh> --bundle <fresh>{(context.Flatten ? " --flatten" : string.Empty)} of the image skopeo encrypted (jwe, RSA); RSS: ru_maxrss of the guestpull process";

    public Task PrepareAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<Sample> RunOnceAsync(int run, CancellationToken cancellationToken) =>
        GuestPullRunner.ColdPullAsync(context, $"guestpull-encrypted-{run}", cancellationToken, image.Reference, ["--decryption-key", image.PrivateKey]);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
