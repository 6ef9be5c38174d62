using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using GuestPull.Bench.Pod.Contenders;

namespace GuestPull.Bench.Pod.Reporting;

/// Writes the report as JSON (unrounded seconds) for later comparison between commits.
internal static class ResultsWriter
{
    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true };

    public static async Task WriteAsync(PodReport report, string path, CancellationToken cancellationToken)
    {
        var contenders = new JsonObject();
        foreach (var contender in report.Contenders)
        {
            var samples = new JsonArray();
            foreach (var sample in contender.Samples)
            {
                samples.Add(ToJson(sample.PhaseSeconds));
            }

            var summary = new JsonObject();
            foreach (var phase in Phases.All.Where(contender.Has))
            {
                summary[phase] = new JsonObject { ["median"] = contender.Median(phase), ["min"] = contender.Min(phase), ["max"] = contender.Max(phase) };
            }

            contenders[contender.Name] = new JsonObject
            {
                ["description"] = contender.Description,
                ["error"] = contender.Error,
                ["summary"] = summary,
                ["samples"] = samples,
            };
        }

        var ratios = new JsonObject();
        foreach (var phase in Phases.All)
        {
            ratios[phase] = report.RatioOf(phase);
        }

        var layers = new JsonArray();
        foreach (var layer in report.Image.Layers)
        {
            layers.Add(new JsonObject
            {
                ["digest"] = layer.Digest,
                ["compressedBytes"] = layer.CompressedBytes,
                ["uncompressedBytes"] = layer.UncompressedBytes,
                ["description"] = layer.Description,
            });
        }

        var root = new JsonObject
        {
            ["benchmark"] = "bench/pod",
            ["startedAt"] = report.StartedAt.ToString("O", CultureInfo.InvariantCulture),
            ["machine"] = report.Machine,
            ["loadAverageAtStart"] = report.LoadAtStart,
            ["loadAverageAtEnd"] = report.LoadAtEnd,
            ["runs"] = report.Runs,
            ["probe"] = report.Probe,
            ["scratch"] = report.Scratch,
            ["phases"] = DescribePhases(),
            ["image"] = new JsonObject
            {
                ["compressedBytes"] = report.Image.CompressedBytes,
                ["uncompressedBytes"] = report.Image.UncompressedBytes,
                ["layers"] = layers,
            },
            ["contenders"] = contenders,
            ["ratiosGuestPullOverRunc"] = ratios,
            ["target"] = new JsonObject
            {
                ["name"] = "guestpull median / runc median, RunPodSandbox to container exit",
                ["limit"] = PodReport.TargetRatio,
                ["actual"] = report.Ratio,
                ["pass"] = report.TargetPass,
            },
            ["allPassed"] = report.AllPassed,
        };

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        await File.WriteAllTextAsync(path, root.ToJsonString(Options) + "\n", cancellationToken).ConfigureAwait(false);
    }

    private static JsonObject DescribePhases()
    {
        var phases = new JsonObject();
        foreach (var phase in Phases.All)
        {
            phases[phase] = Phases.Describe(phase);
        }

        return phases;
    }

    private static JsonObject ToJson(IReadOnlyDictionary<string, double> values)
    {
        var json = new JsonObject();
        foreach (var (key, value) in values)
        {
            json[key] = value;
        }

        return json;
    }
}
