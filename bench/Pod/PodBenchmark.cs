using GuestPull.Bench.Common;
using GuestPull.Bench.Common.Image;
using GuestPull.Bench.Pod.Contenders;
using GuestPull.Bench.Pod.Reporting;
using GuestPull.Linux.Virtualization;
using GuestPull.Testing;

namespace GuestPull.Bench.Pod;

/// One benchmark run: the image from the cache, one node per contender (all up at once, each with its
/// own registry holding the image), then rounds of one cold run per contender, so drift on the
/// machine hits them alike.
internal sealed class PodBenchmark(BenchSettings settings, TextWriter log)
{
    public async Task<PodReport> RunAsync(CancellationToken cancellationToken)
    {
        var startedAt = DateTimeOffset.UtcNow;
        var loadAtStart = PodReport.ReadLoad();
        var image = await new BenchImageBuilder(settings.CacheDirectory, settings.Mirror, log).EnsureAsync(settings.RebuildImage, cancellationToken).ConfigureAwait(false);
        await log.WriteLineAsync($"image: {image.Layers.Count} layers, {image.CompressedBytes / PodReport.MegaByte:F1} MB compressed, {image.UncompressedBytes / PodReport.MegaByte:F1} MB uncompressed").ConfigureAwait(false);

        // Declared before the nodes, so it is unmounted after they are gone. Mounted at /gpbXXXX: the
        // shim's socket directory lies under TMPDIR (CriNode's work directory, then s/ and a 64-hex
        // name), and that path must fit a unix socket's 107 bytes.
        await using var scratch = await TmpfsScratch.CreateAsync(settings.TmpfsSize, "/", cancellationToken).ConfigureAwait(false);
        await log.WriteLineAsync($"scratch: {scratch.Description}").ConfigureAwait(false);
        var busybox = new BusyboxImageFixture();
        await busybox.InitializeAsync().ConfigureAwait(false);
        var results = new List<ContenderResult>();
        var contenders = new List<(PodContender? Contender, ContenderResult Result)>();
        try
        {
            foreach (var name in settings.Contenders)
            {
                var spec = ContenderSpec.For(name, [settings.GuestPullPath], settings.GuestImageDirectory);
                var result = new ContenderResult(spec.Name, spec.Description, spec.InVm);
                results.Add(result);
                PodContender? contender = null;
                await TryAsync(result, "node start", async () => contender = await PodContender.StartAsync(spec, busybox, image, log, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
                contenders.Add((contender, result));
            }

            for (var run = 0; run < settings.Runs; run++)
            {
                foreach (var (contender, result) in contenders)
                {
                    if (contender is null || result.Error is not null)
                    {
                        continue;
                    }

                    // Earlier runs' dirty pages are written back before the clock starts, not during the next run.
                    await ProcessRunner.RunAsync("sync", [], cancellationToken).ConfigureAwait(false);
                    var runNumber = run;
                    await TryAsync(result, $"run {run + 1}", async () =>
                    {
                        var sample = await contender.RunOnceAsync($"bench-{contender.Name}-{runNumber + 1}", settings.RunTimeout, cancellationToken).ConfigureAwait(false);
                        result.Samples.Add(sample);
                        var steps = string.Join(", ", Phases.All.SkipLast(1).Where(sample.PhaseSeconds.ContainsKey).Select(p => $"{p} {sample.PhaseSeconds[p]:F2}"));
                        await log.WriteLineAsync($"{contender.Name,-12} run {runNumber + 1}/{settings.Runs}: exited at {sample.Seconds,7:F3} s ({steps})").ConfigureAwait(false);
                    }).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            foreach (var (contender, _) in contenders)
            {
                if (contender is not null)
                {
                    await contender.DisposeAsync().ConfigureAwait(false);
                }
            }

            await busybox.DisposeAsync().ConfigureAwait(false);
        }

        return new PodReport
        {
            StartedAt = startedAt,
            LoadAtStart = loadAtStart,
            Image = image,
            Runs = settings.Runs,
            Probe = Probe.Describe,
            Scratch = scratch.Description,
            Kvm = KvmProbe.Probe(),
            Contenders = results,
        };
    }

    // A failing contender is reported with its exact error; the others still run.
    private async Task TryAsync(ContenderResult result, string step, Func<Task> action)
    {
        try
        {
            await action().ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException or ProcessFailedException or Grpc.Core.RpcException)
        {
            result.Error = $"{step}: {e.Message}";
            await log.WriteLineAsync($"{result.Name}: {step} FAILED: {e.Message}").ConfigureAwait(false);
        }
    }
}
