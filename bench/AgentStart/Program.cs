using System.CommandLine;
using System.Globalization;
using System.Text;
using GuestPull.Bench.AgentStart;
using GuestPull.Bench.Common;

var repository = RepositoryRoot.Find() ?? ".";
var runs = new Option<int>("--runs") { Description = "starts per contender, interleaved (the median is reported)", HelpName = "N", DefaultValueFactory = _ => 5 };
var idle = new Option<double>("--idle-seconds") { Description = "how long the agent idles before its RSS is read", HelpName = "S", DefaultValueFactory = _ => 5 };
var bin = new Option<string>("--bin") { Description = "where guestpull and guestpull-agent are (default: artifacts/bin of this repository)", HelpName = "DIR", DefaultValueFactory = _ => Path.Combine(repository, "artifacts", "bin") };
var root = new RootCommand("bench/agent-start: the NativeAOT guestpull-agent against the JIT/ReadyToRun `guestpull agent`") { runs, idle, bin };
root.SetAction(async (result, ct) =>
{
    var directory = result.GetValue(bin)!;
    (string Name, string Program, string[] Prefix)[] contenders =
    [
        ("guestpull-agent (NativeAOT)", Path.Combine(directory, "guestpull-agent"), []),
        ("guestpull agent (JIT, ReadyToRun)", Path.Combine(directory, "guestpull"), ["agent"]),
    ];
    var samples = contenders.ToDictionary(c => c.Name, _ => new List<AgentStartSample>());
    for (var run = 0; run < result.GetValue(runs); run++)
    {
        foreach (var (name, program, prefix) in contenders)
        {
            samples[name].Add(await AgentStartMeasurement.RunAsync(program, prefix, TimeSpan.FromSeconds(result.GetValue(idle)), ct).ConfigureAwait(false));
        }
    }

    static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    var rows = new List<string[]> { new[] { "agent", "start → first Check (ms)", "idle RSS (MiB)" } };
    var medians = contenders.Select(c => (Start: Median(samples[c.Name].Select(s => s.Ready.TotalMilliseconds)), Rss: Median(samples[c.Name].Select(s => s.IdleRssKiB / 1024.0)))).ToArray();
    for (var i = 0; i < contenders.Length; i++)
    {
        rows.Add([contenders[i].Name, medians[i].Start.ToString("F1", CultureInfo.InvariantCulture), medians[i].Rss.ToString("F1", CultureInfo.InvariantCulture)]);
    }

    rows.Add(["ratio JIT / NativeAOT", (medians[1].Start / medians[0].Start).ToString("F1", CultureInfo.InvariantCulture) + "×", (medians[1].Rss / medians[0].Rss).ToString("F1", CultureInfo.InvariantCulture) + "×"]);
    var text = new StringBuilder();
    TextTable.Append(text, rows);
    Console.Write(text);
    Console.WriteLine($"(median of {result.GetValue(runs)} runs each, interleaved)");
    return 0;
});
return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
