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

        foreach (var vm in report.VmResults)
        {
            contenders[vm.Name]!["vm"] = ToJson(vm, report.Find(vm.Name)!);
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
            ["targets"] = new JsonArray([.. report.Targets.Select(t => (JsonNode)new JsonObject
            {
                ["name"] = t.Name,
                ["comparison"] = t.AtMost ? "<=" : ">=",
                ["limit"] = t.Limit,
                ["unit"] = t.Unit.Trim(),
                ["actual"] = t.Actual,
                ["pass"] = t.Pass,
            })]),
            ["kvm"] = new JsonObject { ["usable"] = report.Kvm.Usable, ["reason"] = report.Kvm.Reason },
            ["allPassed"] = report.AllPassed,
        };

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        await File.WriteAllTextAsync(path, root.ToJsonString(Options) + "\n", cancellationToken).ConfigureAwait(false);
    }

    /// A VM contender's figures: per run (in the order of its samples) and their medians; bytes, seconds.
    private static JsonObject ToJson(VmResult vm, ContenderResult contender)
    {
        var runs = new JsonArray();
        foreach (var sample in contender.Samples)
        {
            if (sample.Vm is not { } figures)
            {
                continue;
            }

            runs.Add(new JsonObject
            {
                ["accelerator"] = figures.Accelerator,
                ["bootMilliseconds"] = figures.BootMilliseconds,
                ["pullSeconds"] = sample.PullSeconds,
                ["boundSeconds"] = figures.BoundSeconds,
                ["layerBoundSeconds"] = figures.LayerBoundSeconds is { } layers ? new JsonArray([.. layers.Select(l => (JsonNode)l)]) : null,
                ["qemuRssBytes"] = figures.QemuRssBytes,
                ["qemuPeakRssBytes"] = figures.QemuPeakRssBytes,
                ["agentRssBytes"] = figures.AgentRssBytes,
                ["agentPeakRssBytes"] = figures.AgentPeakRssBytes,
                ["problems"] = new JsonArray([.. figures.Problems.Select(p => (JsonNode)p)]),
            });
        }

        return new JsonObject
        {
            ["accelerators"] = new JsonArray([.. vm.Accelerators.Select(a => (JsonNode)a)]),
            ["acceleratorPredicted"] = vm.AcceleratorIsPredicted,
            ["sandboxSecondsMedian"] = vm.SandboxSeconds,
            ["sandboxLimitSeconds"] = vm.SandboxLimitSeconds,
            ["bootMillisecondsMedian"] = vm.BootMilliseconds?.Median,
            ["pullBytesPerSecondMedian"] = vm.PullBytesPerSecond?.Median,
            ["boundBytesPerSecondMedian"] = vm.BoundBytesPerSecond?.Median,
            ["pullOverBoundMedian"] = vm.PullOverBound?.Median,
            ["qemuRssBytesMedian"] = vm.QemuRssBytes?.Median,
            ["qemuPeakRssBytesMedian"] = vm.QemuPeakRssBytes?.Median,
            ["agentRssBytesMedian"] = vm.AgentRssBytes?.Median,
            ["agentPeakRssBytesMedian"] = vm.AgentPeakRssBytes?.Median,
            ["runs"] = runs,
        };
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
