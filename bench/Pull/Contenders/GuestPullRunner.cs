using GuestPull.Bench.Pull.Measurement;

namespace GuestPull.Bench.Pull.Contenders;

/// Runs `guestpull pull` under the meter.
internal static class GuestPullRunner
{
    public static async Task<ProcessMeasurement> PullAsync(BenchContext context, string root, string? bundle, CancellationToken cancellationToken, string? reference = null, IReadOnlyList<string>? extraArguments = null)
    {
        List<string> arguments = ["pull", "--root", root, "--insecure-registry", context.RegistryHost, .. extraArguments ?? []];
        if (bundle is not null)
        {
            arguments.AddRange(["--bundle", bundle]);
            if (context.Flatten)
            {
                arguments.Add("--flatten");
            }
        }

        arguments.Add(reference ?? context.Reference);
        var measurement = await MeteredProcess.RunAsync(
            context.GuestPullPath, arguments, context.LogDirectory, BenchContext.IsolatedEnvironment, context.RunTimeout, cancellationToken).ConfigureAwait(false);
        await measurement.EnsureSucceededAsync(cancellationToken).ConfigureAwait(false);
        return measurement;
    }

    /// One cold pull into a fresh store and bundle under the run's scratch directory, removed afterwards
    /// (bundle unmounted through guestpull, then anything left mounted, then the files).
    public static async Task<Sample> ColdPullAsync(BenchContext context, string runName, CancellationToken cancellationToken, string? reference = null, IReadOnlyList<string>? extraArguments = null)
    {
        var directory = context.FreshDirectory(runName);
        var bundle = Path.Combine(directory, "bundle");
        try
        {
            return ToSample(await PullAsync(context, Path.Combine(directory, "root"), bundle, cancellationToken, reference, extraArguments).ConfigureAwait(false));
        }
        finally
        {
            await Cleanup.RemoveGuestPullBundleAsync(context.GuestPullPath, bundle, CancellationToken.None).ConfigureAwait(false);
            await Cleanup.UnmountUnderAsync(directory, CancellationToken.None).ConfigureAwait(false);
            Cleanup.DeleteDirectory(directory);
        }
    }

    public static Sample ToSample(ProcessMeasurement measurement) =>
        new(
            measurement.Elapsed.TotalSeconds,
            measurement.PeakRssBytes,
            (measurement.UserCpu + measurement.SystemCpu).TotalSeconds,
            new Dictionary<string, double>());
}
