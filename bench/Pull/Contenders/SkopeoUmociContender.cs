using GuestPull.Bench.Pull.Measurement;

namespace GuestPull.Bench.Pull.Contenders;

/// `skopeo copy docker://… oci:DIR:tag` then `umoci unpack --image DIR:tag BUNDLE`, into fresh directories.
internal sealed class SkopeoUmociContender(BenchContext context) : IContender
{
    public string Name => "skopeo+umoci";

    public string Description => "skopeo copy to an OCI layout + umoci unpack (times added); RSS: the larger ru_maxrss of the two";

    public Task PrepareAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task<Sample> RunOnceAsync(int run, CancellationToken cancellationToken)
    {
        var directory = context.FreshDirectory($"skopeo-umoci-{run}");
        try
        {
            var image = $"{Path.Combine(directory, "layout")}:{context.Tag}";
            var copy = await MeteredProcess.RunAsync(
                "skopeo",
                ["--insecure-policy", "copy", "--src-tls-verify=false", "--src-no-creds", $"docker://{context.Reference}", $"oci:{image}"],
                context.LogDirectory,
                BenchContext.IsolatedEnvironment,
                context.RunTimeout,
                cancellationToken).ConfigureAwait(false);
            await copy.EnsureSucceededAsync(cancellationToken).ConfigureAwait(false);

            var unpack = await MeteredProcess.RunAsync(
                "umoci",
                ["unpack", "--image", image, Path.Combine(directory, "bundle")],
                context.LogDirectory,
                null,
                context.RunTimeout,
                cancellationToken).ConfigureAwait(false);
            await unpack.EnsureSucceededAsync(cancellationToken).ConfigureAwait(false);

            return new Sample(
                (copy.Elapsed + unpack.Elapsed).TotalSeconds,
                Math.Max(copy.PeakRssBytes, unpack.PeakRssBytes),
                (copy.UserCpu + copy.SystemCpu + unpack.UserCpu + unpack.SystemCpu).TotalSeconds,
                new Dictionary<string, double>
                {
                    ["skopeoSeconds"] = copy.Elapsed.TotalSeconds,
                    ["umociSeconds"] = unpack.Elapsed.TotalSeconds,
                    ["skopeoPeakRssBytes"] = copy.PeakRssBytes,
                    ["umociPeakRssBytes"] = unpack.PeakRssBytes,
                });
        }
        finally
        {
            Cleanup.DeleteDirectory(directory);
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
