using System.Globalization;
using GuestPull.Linux;
using GuestPull.Ttrpc;

namespace GuestPull.Bench.Soak;

/// <summary>
/// `guestpull agent` as its own process, with CONNECTIONS clients connected at once and left idle (one
/// Check each where the agent takes them), then all closed: the footprint before, while they are open,
/// and after they closed. With the agent's connection cap the connections over it are closed by the
/// agent at once, so neither memory nor descriptors follow the number of clients.
/// </summary>
internal static class AgentConnectionsSoak
{
    public static async Task<int> RunAsync(string guestpull, int connections, CancellationToken cancellationToken)
    {
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

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"agent connections: {connections} idle clients at once"));
            var clients = new List<TtrpcClient>(connections);
            try
            {
                for (var i = 0; i < connections; i++)
                {
                    clients.Add(await TtrpcClient.ConnectAsync(socket, cancellationToken: cancellationToken).ConfigureAwait(false));
                }

                // Give the agent time to accept (or turn away) every one of them.
                await Task.Delay(TimeSpan.FromSeconds(3), cancellationToken).ConfigureAwait(false);
                var open = Footprint.Read(daemon.Id, directory);
                var closedByAgent = clients.Count(client => client.Completion.IsCompleted);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{connections - closedByAgent} connections kept by the agent, {closedByAgent} closed by it"));
                Console.WriteLine(Footprint.Report("before → while open", before, open, 0.10));

                foreach (var client in clients)
                {
                    await client.DisposeAsync().ConfigureAwait(false);
                }

                clients.Clear();
                await Task.Delay(TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
                var after = Footprint.Read(daemon.Id, directory);
                Console.WriteLine(Footprint.Report("before → after they closed", before, after, 0.10));
            }
            finally
            {
                foreach (var client in clients)
                {
                    await client.DisposeAsync().ConfigureAwait(false);
                }
            }

            return daemon.HasExited ? 1 : 0;
        }
        finally
        {
            TreeRemover.Delete(directory);
        }
    }
}
