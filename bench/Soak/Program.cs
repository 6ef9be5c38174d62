using System.Globalization;
using GuestPull.Bench.Soak;

// bench/soak: soak benchmarks (not tests). Usage:
//   guestpull-bench-soak snapshotter [--clients 64] [--duration SECONDS (600)] [--warmup SECONDS (30)] [--guestpull PATH]
//   guestpull-bench-soak agent [--pods 500] [--warmup-pods 100] [--guestpull PATH]
//   guestpull-bench-soak agent-connections [--connections 5000] [--rounds 3] [--guestpull PATH]
// PATH is guestpull.dll (run with dotnet) or a published guestpull; by default artifacts/bin/guestpull when
// built, else the CLI's Release build output.
if (args.Length == 0 || args[0] is not ("snapshotter" or "agent" or "agent-connections"))
{
    await Console.Error.WriteLineAsync("usage: guestpull-bench-soak snapshotter [--clients N] [--duration S] [--warmup S] [--guestpull PATH] | agent [--pods N] [--warmup-pods N] [--guestpull PATH] | agent-connections [--connections N] [--rounds N] [--guestpull PATH]");
    return 2;
}

var options = new Dictionary<string, string>(StringComparer.Ordinal);
for (var i = 1; i < args.Length; i += 2)
{
    if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
    {
        await Console.Error.WriteLineAsync($"bad option '{args[i]}': options are --name VALUE");
        return 2;
    }

    options[args[i][2..]] = args[i + 1];
}

int Number(string name, int fallback) =>
    options.TryGetValue(name, out var text) ? int.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture) : fallback;

var guestpull = options.GetValueOrDefault("guestpull") ?? DefaultGuestPull();
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

return args[0] switch
{
    "snapshotter" => await SnapshotterSoak.RunAsync(guestpull, Number("clients", 64), TimeSpan.FromSeconds(Number("duration", 600)), TimeSpan.FromSeconds(Number("warmup", 30)), stop.Token),
    "agent" => await AgentSoak.RunAsync(guestpull, Number("pods", 500), Number("warmup-pods", 100), stop.Token),
    _ => await AgentConnectionsSoak.RunAsync(guestpull, Number("connections", 5000), Number("rounds", 3), stop.Token),
};

static string DefaultGuestPull()
{
    var root = AppContext.BaseDirectory;
    while (!File.Exists(Path.Combine(root, "GuestPull.slnx")))
    {
        root = Path.GetDirectoryName(root.TrimEnd('/')) ?? throw new InvalidOperationException("not inside the repository: pass --guestpull PATH");
    }

    var published = Path.Combine(root, "artifacts", "bin", "guestpull");
    return File.Exists(published) ? published : Path.Combine(root, "src", "GuestPull.Cli", "bin", "Release", "net10.0", "guestpull.dll");
}
