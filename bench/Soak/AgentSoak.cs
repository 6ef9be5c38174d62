using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using GuestPull.Api.Agent;
using GuestPull.Api.Agent.V1;
using GuestPull.Linux;
using GuestPull.Ttrpc;

namespace GuestPull.Bench.Soak;

/// <summary>
/// `guestpull agent` on a unix socket as its own process, serving PODS sandboxes one after another as
/// the shim drives them: a connection, CreateContainer of the built-in pause sandbox, StartContainer,
/// RemoveContainer, and the connection closed. The footprint is read after the warm-up pods and at the end.
/// </summary>
internal static class AgentSoak
{
    public static async Task<int> RunAsync(string guestpull, int pods, int warmupPods, CancellationToken cancellationToken)
    {
        var directory = Directory.CreateTempSubdirectory("guestpull-soak-agent-").FullName;
        try
        {
            var socket = Path.Combine(directory, "agent.sock");
            var config = Path.Combine(directory, "agent.toml");
            var bundles = Path.Combine(directory, "bundles");
            await File.WriteAllTextAsync(config, $"""
                image_root = "{directory}/image"
                bundle_root = "{bundles}"
                runc_root = "{directory}/runc"
                copy_root = "{directory}/copies"
                pause_binary = "/bin/busybox"
                """, cancellationToken).ConfigureAwait(false);
            await using var daemon = DaemonProcess.Start(guestpull, ["agent", "--listen", "unix://" + socket, "--config", config]);
            await daemon.WaitForSocketAsync(socket, cancellationToken).ConfigureAwait(false);

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"agent soak: {pods} sequential pods after {warmupPods} warm-up pods"));
            for (var i = 0; i < warmupPods; i++)
            {
                await PodAsync(socket, bundles, "warm-" + i.ToString(CultureInfo.InvariantCulture), cancellationToken).ConfigureAwait(false);
            }

            var start = Footprint.Read(daemon.Id, directory);
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < pods; i++)
            {
                await PodAsync(socket, bundles, "pod-" + i.ToString(CultureInfo.InvariantCulture), cancellationToken).ConfigureAwait(false);
            }

            var end = Footprint.Read(daemon.Id, directory);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{pods} pods in {clock.Elapsed.TotalSeconds:0} s ({clock.Elapsed.TotalMilliseconds / pods:0} ms a pod)"));
            Console.WriteLine(Footprint.Report($"guestpull agent (pid {daemon.Id})", start, end, 0.10));
            return daemon.HasExited ? 1 : 0;
        }
        finally
        {
            TreeRemover.Delete(directory);
        }
    }

    private static async Task PodAsync(string socket, string bundles, string id, CancellationToken cancellationToken)
    {
        await using var agent = new AgentClient(await TtrpcClient.ConnectAsync(socket, cancellationToken: cancellationToken).ConfigureAwait(false));
        var request = new CreateContainerRequest { ContainerId = id, OciSpecJson = SandboxSpec() };
        request.Storages.Add(new Storage
        {
            Driver = "image_guest_pull",
            DriverOptions = { "image_guest_pull={\"metadata\":{\"io.kubernetes.cri.container-name\":\"" + id + "\"}}" },
            Source = "pause",
            Fstype = "overlay",
            MountPoint = Path.Combine(bundles, id, "rootfs"),
        });
        await agent.CreateContainerAsync(request, cancellationToken).ConfigureAwait(false);
        await agent.StartContainerAsync(id, cancellationToken).ConfigureAwait(false);
        await agent.RemoveContainerAsync(id, cancellationToken).ConfigureAwait(false);
    }

    // The sandbox container as CRI describes it; the agent runs its built-in pause bundle for it.
    private static string SandboxSpec() => new JsonObject
    {
        ["ociVersion"] = "1.0.2",
        ["process"] = new JsonObject
        {
            ["terminal"] = false,
            ["user"] = new JsonObject { ["uid"] = 0, ["gid"] = 0 },
            ["args"] = new JsonArray(),
            ["cwd"] = "/",
        },
        ["root"] = new JsonObject { ["path"] = "rootfs" },
        ["hostname"] = "soak",
        ["mounts"] = new JsonArray(new JsonObject { ["destination"] = "/proc", ["type"] = "proc", ["source"] = "proc" }),
        ["linux"] = new JsonObject
        {
            ["namespaces"] = new JsonArray(
                new JsonObject { ["type"] = "pid" },
                new JsonObject { ["type"] = "mount" },
                new JsonObject { ["type"] = "ipc" },
                new JsonObject { ["type"] = "uts" }),
        },
        ["annotations"] = new JsonObject { ["io.kubernetes.cri.container-type"] = "sandbox" },
    }.ToJsonString();
}
