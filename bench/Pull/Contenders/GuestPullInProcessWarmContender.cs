using System.Diagnostics;
using GuestPull.Images.Bundles;
using GuestPull.Images.Pull;
using GuestPull.Images.Spec;
using GuestPull.Images.Store;
using GuestPull.Oci.Model;
using GuestPull.Oci.Registry;
using GuestPull.Oci.Registry.Configuration;

namespace GuestPull.Bench.Pull.Contenders;

/// <summary>
/// A warm pull to a bundle the way the guest agent does it: one long-lived process with the store
/// open and the registry client warm; each run resolves the manifest, finds every layer in the store
/// and mounts a fresh bundle. Process start-up, which the CLI row includes, is not part of it.
/// </summary>
internal sealed class GuestPullInProcessWarmContender(BenchContext context) : IContender
{
    private string? _directory;
    private LayerStore? _store;
    private RegistryClient? _client;

    public string Name => "guestpull-warm-agent";

    public string Description =>
        "ImagePuller + BundleWriter in this long-lived process (the agent's path), store already filled; RSS: this benchmark process's peak";

    public async Task PrepareAsync(CancellationToken cancellationToken)
    {
        _directory = context.FreshDirectory("guestpull-warm-agent");
        _store = await LayerStore.OpenAsync(Path.Combine(_directory, "root"), cancellationToken).ConfigureAwait(false);
        _client = new RegistryClient(new RegistryClientOptions { Registries = RegistriesConfiguration.Empty.WithInsecureRegistries([context.RegistryHost]) });
        await PullAsync(bundle: null, cancellationToken).ConfigureAwait(false);
    }

    public async Task<Sample> RunOnceAsync(int run, CancellationToken cancellationToken)
    {
        var bundle = Path.Combine(_directory!, $"bundle-{run}");
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        try
        {
            await PullAsync(bundle, cancellationToken).ConfigureAwait(false);
            clock.Stop();
            using var self = Process.GetCurrentProcess();
            return new Sample(clock.Elapsed.TotalSeconds, self.PeakWorkingSet64, (self.TotalProcessorTime - cpuBefore).TotalSeconds, new Dictionary<string, double>());
        }
        finally
        {
            await new BundleWriter().RemoveAsync(bundle, CancellationToken.None).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _client?.Dispose();
        if (_store is not null)
        {
            await _store.DisposeAsync().ConfigureAwait(false);
        }

        if (_directory is not null)
        {
            await Cleanup.UnmountUnderAsync(_directory, CancellationToken.None).ConfigureAwait(false);
            Cleanup.DeleteDirectory(_directory);
        }
    }

    private async Task PullAsync(string? bundle, CancellationToken cancellationToken)
    {
        var pulled = await new ImagePuller(_client!, _store!).PullAsync(ImageReference.Parse(context.Reference), null, null, cancellationToken).ConfigureAwait(false);
        if (bundle is not null)
        {
            await new BundleWriter().CreateAsync(
                bundle,
                pulled.LayerDirectories,
                rootfs => RuntimeSpecBuilder.Build(pulled.Image.Config, rootfs),
                context.Flatten ? BundleMode.Flatten : BundleMode.Overlay,
                cancellationToken).ConfigureAwait(false);
        }
    }
}
