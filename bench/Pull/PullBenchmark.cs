using GuestPull.Bench.Pull.Contenders;
using GuestPull.Bench.Common;
using GuestPull.Bench.Common.Image;
using GuestPull.Bench.Pull.Reporting;
using GuestPull.Testing;

namespace GuestPull.Bench.Pull;

/// One benchmark run: image from the cache, a private registry, then the contenders in rounds
/// (one cold pull of each per round, so drift on the machine hits them alike), then the warm pulls.
internal sealed class PullBenchmark(BenchSettings settings, TextWriter log)
{
    private const string Repository = "bench/debian";
    private const string Tag = "bookworm";

    public async Task<BenchReport> RunAsync(CancellationToken cancellationToken)
    {
        var startedAt = DateTimeOffset.UtcNow;
        var loadAtStart = BenchReport.ReadLoad();
        var image = await new BenchImageBuilder(settings.CacheDirectory, settings.Mirror, log).EnsureAsync(settings.RebuildImage, cancellationToken).ConfigureAwait(false);
        await log.WriteLineAsync($"image: {image.Layers.Count} layers, {image.CompressedBytes / BenchReport.MegaByte:F1} MB compressed, {image.UncompressedBytes / BenchReport.MegaByte:F1} MB uncompressed").ConfigureAwait(false);

        await using var scratch = await TmpfsScratch.CreateAsync(settings.TmpfsSize, Path.GetTempPath(), cancellationToken).ConfigureAwait(false);
        await log.WriteLineAsync($"scratch: {scratch.Description}").ConfigureAwait(false);
        using var work = TempDirectory.Create("bench-pull");
        await using var registry = await RegistryInstance.StartAsync(new RegistryOptions { Name = "bench-pull" }, cancellationToken).ConfigureAwait(false);
        await log.WriteLineAsync($"registry: {registry.Host}; pushing {Repository}:{Tag}").ConfigureAwait(false);
        await ImageBuilder.PushAsync(image.LayoutDirectory, image.Tag, registry, $"{Repository}:{Tag}", new PushOptions { Timeout = TimeSpan.FromMinutes(20) }, cancellationToken).ConfigureAwait(false);

        var encrypted = await EncryptedImage.CreateAsync(registry.Host, Repository, Tag, work.CreateSubdirectory("encryption"), cancellationToken).ConfigureAwait(false);
        await log.WriteLineAsync($"encrypted copy: {encrypted.Reference} (skopeo --encryption-key jwe:RSA)").ConfigureAwait(false);
        var context = new BenchContext(registry.Host, Repository, Tag, work.CreateSubdirectory("runs"), work.CreateSubdirectory("logs"), settings.GuestPullPath, settings.Flatten, settings.RunTimeout);
        var tools = new List<ToolResult>();
        try
        {
            IContender[] cold = [new GuestPullColdContender(context), new GuestPullEncryptedContender(context, encrypted), new ContainerdContender(context), new SkopeoUmociContender(context)];
            tools.AddRange(await RunRoundsAsync(cold, cancellationToken).ConfigureAwait(false));
            tools.AddRange(await RunRoundsAsync([new GuestPullWarmContender(context), new GuestPullInProcessWarmContender(context)], cancellationToken).ConfigureAwait(false));
        }
        finally
        {
            await Cleanup.UnmountUnderAsync(work.Path, CancellationToken.None).ConfigureAwait(false);
        }

        return new BenchReport
        {
            StartedAt = startedAt,
            LoadAtStart = loadAtStart,
            Reference = context.Reference,
            Image = image,
            Runs = settings.Runs,
            Flatten = settings.Flatten,
            Scratch = scratch.Description,
            Tools = tools,
        };
    }

    private async Task<List<ToolResult>> RunRoundsAsync(IContender[] contenders, CancellationToken cancellationToken)
    {
        var results = contenders.Select(c => new ToolResult(c.Name, c.Description)).ToList();
        try
        {
            for (var i = 0; i < contenders.Length; i++)
            {
                await TryAsync(contenders[i], results[i], "prepare", () => contenders[i].PrepareAsync(cancellationToken)).ConfigureAwait(false);
            }

            for (var run = 0; run < settings.Runs; run++)
            {
                for (var i = 0; i < contenders.Length; i++)
                {
                    if (results[i].Error is not null)
                    {
                        continue;
                    }

                    // Earlier runs' dirty pages are written back before the clock starts, not during the next run.
                    await ProcessRunner.RunAsync("sync", [], cancellationToken).ConfigureAwait(false);
                    var contender = contenders[i];
                    var result = results[i];
                    var runNumber = run;
                    await TryAsync(contender, result, $"run {run + 1}", async () =>
                    {
                        var sample = await contender.RunOnceAsync(runNumber, cancellationToken).ConfigureAwait(false);
                        result.Samples.Add(sample);
                        await log.WriteLineAsync($"{contender.Name,-15} run {runNumber + 1}/{settings.Runs}: {sample.Seconds,8:F3} s, peak RSS {sample.PeakRssBytes / BenchReport.MegaByte,7:F1} MB").ConfigureAwait(false);
                    }).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            foreach (var contender in contenders)
            {
                await contender.DisposeAsync().ConfigureAwait(false);
            }
        }

        return results;
    }

    // A failing contender is reported with its exact error; the others still run.
    private async Task TryAsync(IContender contender, ToolResult result, string step, Func<Task> action)
    {
        try
        {
            await action().ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException or ProcessFailedException)
        {
            result.Error = $"{step}: {e.Message}";
            await log.WriteLineAsync($"{contender.Name}: {step} FAILED: {e.Message}").ConfigureAwait(false);
        }
    }
}
