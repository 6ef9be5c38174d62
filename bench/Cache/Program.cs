using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using GuestPull.Bench.Common;
using GuestPull.Bench.Common.Image;
using GuestPull.Cache;
using GuestPull.Images.Pull;
using GuestPull.Images.Store;
using GuestPull.Oci.Model;
using GuestPull.Oci.Registry;
using GuestPull.Oci.Registry.Auth;
using GuestPull.Oci.Registry.Configuration;
using GuestPull.Testing;

namespace GuestPull.Bench.Cache;

/// <summary>
/// bench/cache: a real docker-registry behind a link throttled to --rate-mbit, the realistic image,
/// and --runs sequential cold pulls (a fresh layer store each, as a new pod's VM starts empty) without
/// and then with the node cache (empty at the start). Reports the bytes the registry sent and the
/// median time of pulls 2..N with the cache against without (target ≤ 0.2×).
/// </summary>
internal static class Program
{
    private const string Repository = "bench/image";

    public static async Task<int> Main(string[] args)
    {
        var repository = RepositoryRoot.Find();
        var imageCache = new Option<string>("--cache") { Description = "where the realistic image is built once and kept", HelpName = "DIR", DefaultValueFactory = _ => "/var/tmp/guestpull-bench" };
        var runs = new Option<int>("--runs") { Description = "sequential cold pulls per mode", HelpName = "N", DefaultValueFactory = _ => 10 };
        var rate = new Option<double>("--rate-mbit") { Description = "the registry link's rate in Mbit/s", HelpName = "MBIT", DefaultValueFactory = _ => 100 };
        var mirror = new Option<string>("--mirror") { Description = "Debian mirror for debootstrap (building the image)", HelpName = "URL", DefaultValueFactory = _ => "http://deb.debian.org/debian" };
        var guestMemory = new Option<string>("--guest-tmpfs")
        {
            Description = "size of the tmpfs the pulls' layer stores go on, as a guest pulls into its RAM (mount's syntax, e.g. 4g); \"none\" for the disk",
            HelpName = "SIZE",
            DefaultValueFactory = _ => "4g",
        };
        var results = new Option<string>("--results") { Description = "where to write the JSON results", HelpName = "FILE", DefaultValueFactory = _ => Path.Combine(repository ?? ".", "bench", "Cache", "results", "latest.json") };
        var command = new RootCommand("bench/cache: cold pulls through a throttled registry link with and without the node cache") { imageCache, runs, rate, mirror, guestMemory, results };
        command.SetAction(async (parsed, ct) =>
        {
            var count = parsed.GetValue(runs);
            if (count < 2)
            {
                await Console.Error.WriteLineAsync("--runs must be at least 2");
                return 2;
            }

            var image = await new BenchImageBuilder(parsed.GetValue(imageCache)!, parsed.GetValue(mirror)!, Console.Out).EnsureAsync(rebuild: false, ct);
            var tmpfs = parsed.GetValue(guestMemory)!;
            return await RunAsync(image, count, parsed.GetValue(rate), tmpfs == "none" ? null : tmpfs, parsed.GetValue(results)!, ct);
        });
        return await command.Parse(args).InvokeAsync();
    }

    private static async Task<int> RunAsync(BenchImage image, int runs, double rateMbit, string? guestTmpfs, string resultsPath, CancellationToken cancellationToken)
    {
        // The registry's storage and the node cache are on the node's disk, as in production.
        using var work = TempDirectory.Create("bench-cache");
        await using var registry = await RegistryInstance.StartAsync(new RegistryOptions { Name = "bench-cache" }, cancellationToken);
        await ImageBuilder.PushAsync(image.LayoutDirectory, image.Tag, registry, $"{Repository}:{image.Tag}", new PushOptions { PreserveDigests = true }, cancellationToken);
        await using var link = new ThrottledProxy(IPEndPoint.Parse(registry.Host), rateMbit);
        var reference = ImageReference.Parse($"{link.Host}/{Repository}:{image.Tag}");

        // Each pull's layer store is a new guest's memory: on a disk that earlier pulls filled and
        // emptied, writing the unpacked image (not the link) sets the pull time.
        await using var guestMemory = await TmpfsScratch.CreateAsync(guestTmpfs, work.Path, cancellationToken);
        var stores = guestTmpfs is null ? work.Path : Path.GetTempPath();
        Console.WriteLine($"image: {image.Layers.Count} layers, {image.CompressedBytes / 1e6:F1} MB compressed; registry link {rateMbit} Mbit/s (registry only; the cache is on the node); {runs} cold pulls per mode; layer stores on {guestMemory.Description}");

        var without = await PullSeriesAsync("without cache", reference, link, null, runs, stores, cancellationToken);
        var withCache = await PullSeriesWithCacheAsync(reference, link, runs, work, stores, cancellationToken);

        var ratio = Median(withCache.Seconds.Skip(1)) / Median(without.Seconds.Skip(1));
        Console.WriteLine();
        Console.WriteLine("mode            registry MB   pull 1 s   median pulls 2..N s");
        foreach (var series in new[] { without, withCache })
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{series.Mode,-15} {series.RegistryBytes / 1e6,11:F1}   {series.Seconds[0],8:F1}   {Median(series.Seconds.Skip(1)),19:F1}"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"median of pulls 2..{runs}, with cache / without: {ratio:F2}x (target <= 0.20x): {(ratio <= 0.2 ? "MET" : "NOT MET")}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"registry bytes, with cache / without: {withCache.RegistryBytes / (double)without.RegistryBytes:F2}x"));

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(resultsPath))!);
        await File.WriteAllTextAsync(resultsPath, JsonSerializer.Serialize(
            new { rateMbit, runs, compressedBytes = image.CompressedBytes, layerStores = guestMemory.Description, without, withCache, medianRatio = ratio, targetMet = ratio <= 0.2 },
            new JsonSerializerOptions { WriteIndented = true }), cancellationToken);
        Console.WriteLine($"results: {resultsPath}");
        return 0;
    }

    private static async Task<Series> PullSeriesWithCacheAsync(ImageReference reference, ThrottledProxy link, int runs, TempDirectory work, string stores, CancellationToken cancellationToken)
    {
        await using var cache = await CacheHost.StartAsync(
            new CacheOptions
            {
                Listen = "127.0.0.1:0",
                Root = work.Combine("node-cache"),
                LogLevel = Microsoft.Extensions.Logging.LogLevel.Warning,
                Upstream = new RegistryClientOptions { Registries = RegistriesConfiguration.Empty.WithInsecureRegistries([link.Host]), AuthFile = AuthFile.Empty, CertificateDirectories = [] },
            },
            cancellationToken);
        var series = await PullSeriesAsync("with cache", reference, link, cache.Address, runs, stores, cancellationToken);
        Console.WriteLine($"cache: {cache.Metrics.Hits} hits, {cache.Metrics.Misses} misses, {cache.Metrics.UpstreamFetches} upstream fetches");
        return series;
    }

    private static async Task<Series> PullSeriesAsync(string mode, ImageReference reference, ThrottledProxy link, string? nodeCache, int runs, string stores, CancellationToken cancellationToken)
    {
        var before = link.UpstreamBytes;
        var seconds = new List<double>();
        for (var run = 1; run <= runs; run++)
        {
            var root = Path.Combine(stores, $"store-{mode.Replace(' ', '-')}-{run}");
            var options = new RegistryClientOptions
            {
                Registries = RegistriesConfiguration.Empty.WithInsecureRegistries([link.Host]),
                AuthFile = AuthFile.Empty,
                CertificateDirectories = [],
                NodeCache = nodeCache,
            };
            var clock = Stopwatch.StartNew();
            using (var client = new RegistryClient(options))
            await using (var store = await LayerStore.OpenAsync(root, cancellationToken))
            {
                await new ImagePuller(client, store).PullAsync(reference, null, null, cancellationToken);
            }

            seconds.Add(clock.Elapsed.TotalSeconds);
            Directory.Delete(root, recursive: true);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{mode}: pull {run}: {seconds[^1]:F1} s, registry sent {(link.UpstreamBytes - before) / 1e6:F1} MB so far"));
        }

        return new Series(mode, link.UpstreamBytes - before, seconds);
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private sealed record Series(string Mode, long RegistryBytes, List<double> Seconds);
}
