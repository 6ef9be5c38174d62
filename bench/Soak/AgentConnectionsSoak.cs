using System.Globalization;
using GuestPull.Linux;
using GuestPull.Ttrpc;

namespace GuestPull.Bench.Soak;

/// <summary>
/// `guestpull agent` as its own process, with CONNECTIONS clients connected at once and left idle (one
/// Check each where the agent takes them), then all closed: the footprint before, while they are open,
/// and after they closed, ROUNDS times: the first round warms the agent up (JIT, thread pool, the ttrpc
/// server's buffer pool), the later ones must leave it where the first did. With the agent's connection
/// cap the connections over it are closed by the agent at once, so neither memory nor descriptors
/// follow the number of clients.
/// </summary>
internal static class AgentConnectionsSoak
{
    public static async Task<int> RunAsync(string guestpull, int connections, int rounds, CancellationToken cancellationToken)
    {
        if (rounds < 2)
        {
            await Console.Error.WriteLineAsync("--rounds must be at least 2: the first one warms the agent up").ConfigureAwait(false);
            return 2;
        }

        var directory = Directory.CreateTempSubdirectory("guestpull-soak-connections-").FullName;
        try
        {
            var socket = Path.Combine(directory, "agent.sock");
            var config = Path.Combine(directory, "agent.toml");
            await File.WriteAllTextAsync(config, $"""
                image_root = "{directory}/image"
                bundle_root = "{directory}/bundles"
                runc_root = "{directory}/runc"
                copy_root = "{directory}/copies"
                pause_binary = "/bin/busybox"
                """, cancellationToken).ConfigureAwait(false);
            await using var daemon = DaemonProcess.Start(guestpull, ["agent", "--listen", "unix://" + socket, "--config", config]);
            await daemon.WaitForSocketAsync(socket, cancellationToken).ConfigureAwait(false);
            await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
            var before = Footprint.Read(daemon.Id, directory);

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"agent connections: {connections} idle clients at once, {rounds} rounds (the first warms the agent up)"));
            Footprint? warm = null;
            var last = before;
            for (var round = 1; round <= rounds; round++)
            {
                var (kept, open, after) = await RoundAsync(socket, connections, daemon.Id, directory, cancellationToken).ConfigureAwait(false);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"round {round}: {kept} connections kept by the agent, {connections - kept} closed by it; RSS {open.RssKiB} KiB and {open.Descriptors} descriptors while open, {after.RssKiB} KiB and {after.Descriptors} after they closed"));
                warm ??= after;
                last = after;
            }

            Console.WriteLine(Footprint.Report("before the first connection → after round 1 closed (JIT, thread pool, the server's buffer pool)", before, warm!, allowedGrowth: null));
            Console.WriteLine(Footprint.Report($"after round 1 closed (warm) → after round {rounds} closed", warm!, last, 0.10));
            return daemon.HasExited ? 1 : 0;
        }
        finally
        {
            TreeRemover.Delete(directory);
        }
    }

    // Opens the clients, lets the agent accept or turn away each, reads the footprint, closes them all
    // and reads it again once the agent has seen them go.
    private static async Task<(int Kept, Footprint Open, Footprint After)> RoundAsync(string socket, int connections, int pid, string directory, CancellationToken cancellationToken)
    {
        var clients = new List<TtrpcClient>(connections);
        try
        {
            for (var i = 0; i < connections; i++)
            {
                clients.Add(await TtrpcClient.ConnectAsync(socket, cancellationToken: cancellationToken).ConfigureAwait(false));
            }

            // Give the agent time to accept (or turn away) every one of them.
            await Task.Delay(TimeSpan.FromSeconds(3), cancellationToken).ConfigureAwait(false);
            var open = Footprint.Read(pid, directory);
            var kept = clients.Count(client => !client.Completion.IsCompleted);
            foreach (var client in clients)
            {
                await client.DisposeAsync().ConfigureAwait(false);
            }

            clients.Clear();
            await Task.Delay(TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
            return (kept, open, Footprint.Read(pid, directory));
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
