using System.Diagnostics;
using GuestPull.Api.Agent;
using GuestPull.Linux;
using GuestPull.Ttrpc;

namespace GuestPull.Bench.AgentStart;

/// <summary>Starts an agent on a fresh directory, times it to the first successful Check, reads VmRSS after it idled.</summary>
internal static class AgentStartMeasurement
{
    public static async Task<AgentStartSample> RunAsync(string program, IReadOnlyList<string> prefixArguments, TimeSpan idle, CancellationToken cancellationToken)
    {
        var directory = Directory.CreateTempSubdirectory("guestpull-agent-start-").FullName;
        try
        {
            var socket = Path.Combine(directory, "agent.sock");
            var config = Path.Combine(directory, "agent.toml");
            await File.WriteAllTextAsync(config, $"image_root = \"{directory}/image\"\nbundle_root = \"{directory}/bundles\"\nrunc_root = \"{directory}/runc\"\n", cancellationToken).ConfigureAwait(false);
            var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in prefixArguments.Concat(["--listen", "unix://" + socket, "--config", config]))
            {
                start.ArgumentList.Add(argument);
            }

            var clock = Stopwatch.StartNew();
            using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start");
            // Drained so that a chatty agent never blocks on a full pipe; the output is not part of the measurement.
            _ = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null, CancellationToken.None);
            _ = process.StandardError.BaseStream.CopyToAsync(Stream.Null, CancellationToken.None);
            try
            {
                var ready = await WaitForCheckAsync(process, socket, clock, cancellationToken).ConfigureAwait(false);
                await Task.Delay(idle, cancellationToken).ConfigureAwait(false);
                return new AgentStartSample(ready, ReadRssKiB(process.Id));
            }
            finally
            {
                Signals.Send(process.Id, Signals.Terminate);
                await process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None).ConfigureAwait(false);
            }
        }
        finally
        {
            TreeRemover.Delete(directory);
        }
    }

    private static async Task<TimeSpan> WaitForCheckAsync(Process process, string socket, Stopwatch clock, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{process.StartInfo.FileName} exited with {process.ExitCode} before it answered");
            }

            if (File.Exists(socket))
            {
                try
                {
                    await using var agent = new AgentClient(await TtrpcClient.ConnectAsync(socket, cancellationToken: cancellationToken).ConfigureAwait(false));
                    await agent.CheckAsync(cancellationToken).ConfigureAwait(false);
                    return clock.Elapsed;
                }
                catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or TtrpcException)
                {
                    // Bound but not serving yet.
                }
            }

            await Task.Delay(1, cancellationToken).ConfigureAwait(false);
        }
    }

    private static long ReadRssKiB(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
    }
}
