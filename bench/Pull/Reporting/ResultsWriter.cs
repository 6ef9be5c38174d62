using System.Text.Json;
using System.Text.Json.Nodes;

namespace GuestPull.Bench.Pull.Reporting;

/// Writes the report as JSON (seconds and bytes, unrounded) for later comparison between commits.
internal static class ResultsWriter
{
    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true };

    public static async Task WriteAsync(BenchReport report, string path, CancellationToken cancellationToken)
    {
        var tools = new JsonObject();
        foreach (var tool in report.Tools)
        {
            var samples = new JsonArray();
            foreach (var sample in tool.Samples)
            {
                var details = new JsonObject();
                foreach (var (key, value) in sample.Details)
                {
                    details[key] = value;
                }

                samples.Add(new JsonObject
                {
                    ["seconds"] = sample.Seconds,
                    ["peakRssBytes"] = sample.PeakRssBytes,
                    ["cpuSeconds"] = sample.CpuSeconds,
                    ["details"] = details,
                });
            }

            tools[tool.Name] = new JsonObject
            {
                ["description"] = tool.Description,
                ["error"] = tool.Error,
                ["medianSeconds"] = tool.HasSamples ? tool.MedianSeconds : null,
                ["minSeconds"] = tool.HasSamples ? tool.MinSeconds : null,
                ["maxSeconds"] = tool.HasSamples ? tool.MaxSeconds : null,
                ["peakRssBytes"] = tool.HasSamples ? tool.PeakRssBytes : null,
                ["medianCpuSeconds"] = tool.HasSamples ? tool.MedianCpuSeconds : null,
                ["samples"] = samples,
            };
        }

        var layers = new JsonArray();
        foreach (var layer in report.Image.Layers)
        {
            layers.Add(new JsonObject
            {
                ["digest"] = layer.Digest,
                ["mediaType"] = layer.MediaType,
                ["compressedBytes"] = layer.CompressedBytes,
                ["uncompressedBytes"] = layer.UncompressedBytes,
                ["description"] = layer.Description,
            });
        }

        var targets = new JsonArray();
        foreach (var target in report.Targets)
        {
            targets.Add(new JsonObject
            {
                ["name"] = target.Name,
                ["unit"] = target.Unit,
                ["limit"] = target.Limit,
                ["actual"] = target.Actual,
                ["pass"] = target.Pass,
            });
        }

        var root = new JsonObject
        {
            ["benchmark"] = "bench/pull",
            ["startedAt"] = report.StartedAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            ["machine"] = report.Machine,
            ["loadAverageAtStart"] = report.LoadAtStart,
            ["loadAverageAtEnd"] = report.LoadAtEnd,
            ["runs"] = report.Runs,
            ["flatten"] = report.Flatten,
            ["scratch"] = report.Scratch,
            ["image"] = new JsonObject
            {
                ["reference"] = report.Reference,
                ["compressedBytes"] = report.Image.CompressedBytes,
                ["uncompressedBytes"] = report.Image.UncompressedBytes,
                ["layers"] = layers,
            },
            ["tools"] = tools,
            ["ratios"] = new JsonObject
            {
                ["guestpullColdOverContainerd"] = report.ColdVsContainerd,
                ["guestpullColdOverSkopeoUmoci"] = report.ColdVsSkopeoUmoci,
            },
            ["targets"] = targets,
            ["allPassed"] = report.AllPassed,
        };

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        await File.WriteAllTextAsync(path, root.ToJsonString(Options) + "\n", cancellationToken).ConfigureAwait(false);
    }
}
