using System.Diagnostics;
using System.Globalization;
using GuestPull.Api.Cri.V1;
using GuestPull.Bench.Common.Image;
using GuestPull.Testing.Cri;

namespace GuestPull.Bench.Pod.Contenders;

/// Measures, in the pod of a timed run whose sandbox is a QEMU VM, what the phases cannot show: the
/// accelerator that ran it, the memory QEMU and the guest agent hold, and how fast the guest itself can
/// fetch, gunzip and hash the image's layers, the bound the agent's pull is held against. Untimed: it
/// runs after the run's figures are taken and its cold check, before the pod is removed.
internal sealed class VmInspector(CriNode node, BenchImage image, IReadOnlyList<string> diffIds, string repository, TextWriter log)
{
    /// QEMU user networking's gateway: from the guest it reaches the host's loopback, where the node's registry listens.
    private const string HostGateway = "10.0.2.2";

    /// busybox (the node's image has no wget or gzip links, so applets are named); set -o pipefail so a
    /// failed download is not hashed as an empty stream. /proc/uptime is the guest's clock, in 10 ms steps.
    private const string BoundScript =
        "set -o pipefail; read start rest < /proc/uptime; sum=$(busybox wget -q -O- \"$1\" | busybox gzip -dc | busybox sha256sum) || exit 1; " +
        "read end rest < /proc/uptime; echo \"$start $end ${sum%% *}\"";

    /// In a container without a PID namespace of its own, /proc is the guest's: the agent is PID 1 there
    /// (the guest's /init execs it). Searched by name, so a change of that is noticed rather than misread;
    /// when it is not there, what the container does see is printed for the report.
    private const string AgentScript =
        "found=; for d in /proc/[0-9]*; do [ \"$(cat $d/comm 2>/dev/null)\" = guestpull-agent ] || continue; found=1; echo \"agent ${d#/proc/}\"; grep -E '^Vm(RSS|HWM):' $d/status; done; " +
        "[ -n \"$found\" ] || { echo \"seen: $(for d in /proc/[0-9]*; do printf '%s=%s ' ${d#/proc/} $(cat $d/comm 2>/dev/null); done)\"; grep NSpid /proc/self/status; }";

    private static readonly TimeSpan ExecTimeout = TimeSpan.FromMinutes(10);

    /// Makes the pod hostPID, as kubelet does for hostPID: true. containerd puts a container with
    /// PID = NODE in its sandbox's PID namespace (the sandbox's /proc/PID/ns/pid, which the VM sandbox maps
    /// to the pause's in the guest); only when the pod too is NODE has the pause none of its own, so that
    /// namespace is the guest's root one, where the agent can be seen. For the timed run this only
    /// spares the pause a PID namespace in the guest; the probe container keeps its own.
    public static void SharePidNamespaceWithGuest(PodSandboxConfig podConfig) =>
        podConfig.Linux.SecurityContext.NamespaceOptions.Pid = NamespaceMode.Node;

    public async Task<VmFigures> MeasureAsync(string name, string podId, PodSandboxConfig podConfig, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        var (started, startProblem) = await ShimStartLine.FindAsync(node.Containerd, podId, cancellationToken).ConfigureAwait(false);
        AddProblem(problems, startProblem);

        long? agentRss = null, agentPeak = null;
        IReadOnlyList<double>? bound = null;
        var tools = await StartToolsAsync(podId, podConfig, problems, cancellationToken).ConfigureAwait(false);
        if (tools is not null)
        {
            (agentRss, agentPeak) = await ReadAgentMemoryAsync(tools, problems, cancellationToken).ConfigureAwait(false);
            bound = await MeasureBoundAsync(name, tools, problems, cancellationToken).ConfigureAwait(false);
        }

        // Last, right before the pod goes: the guest holds the unpacked image and has run every container.
        var (qemuRss, qemuPeak) = ReadQemuMemory(podId, started?.QemuPid, problems);
        var figures = new VmFigures
        {
            Accelerator = started?.Accelerator,
            BootMilliseconds = started?.BootMilliseconds,
            QemuRssBytes = qemuRss,
            QemuPeakRssBytes = qemuPeak,
            AgentRssBytes = agentRss,
            AgentPeakRssBytes = agentPeak,
            LayerBoundSeconds = bound,
            Problems = problems,
        };
        await log.WriteLineAsync(Invariant($"{name}: VM: accel {figures.Accelerator ?? "?"}, boot {figures.BootMilliseconds?.ToString(CultureInfo.InvariantCulture) ?? "?"} ms, QEMU RSS {Mb(qemuRss)} MB (peak {Mb(qemuPeak)}), agent RSS {Mb(agentRss)} MB (peak {Mb(agentPeak)}), in-guest bound {(figures.BoundSeconds is { } s ? s.ToString("F2", CultureInfo.InvariantCulture) : "?")} s")).ConfigureAwait(false);
        foreach (var problem in problems)
        {
            await log.WriteLineAsync($"{name}: VM figure missing: {problem}").ConfigureAwait(false);
        }

        return figures;
    }

    /// A busybox container in the pod with the guest's PID namespace (PID = NODE in a hostPID pod, see
    /// <see cref="SharePidNamespaceWithGuest"/>), sleeping so that ExecSync can run in it.
    private async Task<string?> StartToolsAsync(string podId, PodSandboxConfig podConfig, List<string> problems, CancellationToken cancellationToken)
    {
        try
        {
            var config = CriNode.ContainerConfig("tools", node.BusyboxImage, "sleep", "3600");
            config.Linux.SecurityContext.NamespaceOptions.Pid = NamespaceMode.Node;
            var id = (await node.Runtime.CreateContainerAsync(new CreateContainerRequest { PodSandboxId = podId, Config = config, SandboxConfig = podConfig }, cancellationToken: cancellationToken)).ContainerId;
            await node.Runtime.StartContainerAsync(new StartContainerRequest { ContainerId = id }, cancellationToken: cancellationToken);
            return id;
        }
        catch (Grpc.Core.RpcException e) when (!cancellationToken.IsCancellationRequested)
        {
            problems.Add($"agent RSS and in-guest bound: the busybox container with the guest's PID namespace did not start: {e.Status.Detail}");
            return null;
        }
    }

    private async Task<(long? Rss, long? Peak)> ReadAgentMemoryAsync(string tools, List<string> problems, CancellationToken cancellationToken)
    {
        var (exitCode, output, error) = await ExecAsync(tools, ["sh", "-c", AgentScript], cancellationToken).ConfigureAwait(false);
        // One block per guestpull-agent process ("agent N", then VmHWM and VmRSS); PID 1 is the agent itself.
        var agent = output.Split("agent ", StringSplitOptions.RemoveEmptyEntries)
            .Select(b => (Pid: b.Split('\n', 2)[0].Trim(), Status: b))
            .FirstOrDefault(b => b.Pid == "1");
        if (exitCode != 0 || agent.Status is null)
        {
            problems.Add($"agent RSS: no guestpull-agent as PID 1 in the guest's /proc (exit {exitCode}; saw [{output.Trim().ReplaceLineEndings(" | ")}]; stderr [{error.Trim()}])");
            return (null, null);
        }

        return (ProcStatus.ReadBytes(agent.Status, ProcStatus.Rss), ProcStatus.ReadBytes(agent.Status, ProcStatus.PeakRss));
    }

    /// Each layer blob, one after the other, fetched from the node's registry through QEMU's gateway,
    /// gunzipped and hashed; the hash must be the layer's DiffID. Null when any layer failed.
    private async Task<IReadOnlyList<double>?> MeasureBoundAsync(string name, string tools, List<string> problems, CancellationToken cancellationToken)
    {
        var port = node.Registry.Host[(node.Registry.Host.LastIndexOf(':') + 1)..];
        var seconds = new List<double>();
        var hostSpan = Stopwatch.StartNew();
        double? guestFirstStart = null;
        for (var i = 0; i < image.Layers.Count; i++)
        {
            var layer = image.Layers[i];
            var url = $"http://{HostGateway}:{port}/v2/{repository}/blobs/{layer.Digest}";
            var clock = Stopwatch.StartNew();
            var (exitCode, output, error) = await ExecAsync(tools, ["sh", "-c", BoundScript, "sh", url], cancellationToken).ConfigureAwait(false);
            var fields = output.Trim().Split(' ');
            if (exitCode != 0 || fields.Length != 3
                || !double.TryParse(fields[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var start)
                || !double.TryParse(fields[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var end))
            {
                problems.Add($"in-guest bound: layer {i + 1} ({url}) failed: exit {exitCode}, [{output.Trim()}], stderr [{error.Trim()}]");
                return null;
            }

            if ("sha256:" + fields[2] != diffIds[i])
            {
                problems.Add($"in-guest bound: layer {i + 1} hashed to sha256:{fields[2]}, not its DiffID {diffIds[i]}");
                return null;
            }

            seconds.Add(Math.Round(end - start, 2)); // /proc/uptime has 10 ms steps
            guestFirstStart ??= start;
            await log.WriteLineAsync(Invariant($"{name}: in-guest bound, layer {i + 1}/{image.Layers.Count}: {layer.CompressedBytes / 1e6:F1} MB in {end - start:F2} s (exec {clock.Elapsed.TotalSeconds:F2} s)")).ConfigureAwait(false);
            if (i == image.Layers.Count - 1)
            {
                // The bound is timed with the guest's clock; under TCG that clock is emulated, so it is
                // set against the host's over the whole series (the host's span also holds the execs' own cost).
                await log.WriteLineAsync(Invariant($"{name}: in-guest bound, clock check: {end - guestFirstStart.Value:F2} s on the guest's clock, {hostSpan.Elapsed.TotalSeconds:F2} s on the host's around the {image.Layers.Count} execs")).ConfigureAwait(false);
            }
        }

        return seconds;
    }

    private static (long? Rss, long? Peak) ReadQemuMemory(string podId, int? loggedPid, List<string> problems)
    {
        var pids = QemuProcess.Find(podId);
        if (pids.Count != 1)
        {
            problems.Add($"QEMU RSS: {pids.Count} qemu-system processes name pod {podId}");
            return (null, null);
        }

        if (loggedPid is { } logged && logged != pids[0])
        {
            problems.Add($"QEMU RSS: the shim logged QEMU pid {logged}, but the qemu-system process naming the pod is {pids[0]}");
        }

        var status = QemuProcess.ReadStatus(pids[0]);
        return status is null ? (null, null) : (ProcStatus.ReadBytes(status, ProcStatus.Rss), ProcStatus.ReadBytes(status, ProcStatus.PeakRss));
    }

    /// ExecSync; a failed call comes back as exit code -1 with CRI's message, so the figure is reported missing.
    private async Task<(int ExitCode, string Output, string Error)> ExecAsync(string containerId, string[] command, CancellationToken cancellationToken)
    {
        try
        {
            var response = await node.Runtime.ExecSyncAsync(
                new ExecSyncRequest { ContainerId = containerId, Cmd = { command }, Timeout = (long)ExecTimeout.TotalSeconds },
                cancellationToken: cancellationToken);
            return (response.ExitCode, response.Stdout.ToStringUtf8(), response.Stderr.ToStringUtf8());
        }
        catch (Grpc.Core.RpcException e) when (!cancellationToken.IsCancellationRequested)
        {
            return (-1, string.Empty, $"ExecSync failed: {e.Status.StatusCode} {e.Status.Detail}");
        }
    }

    private static void AddProblem(List<string> problems, string? problem)
    {
        if (problem is not null)
        {
            problems.Add(problem);
        }
    }

    private static string Mb(long? bytes) => bytes is { } b ? (b / 1e6).ToString("F1", CultureInfo.InvariantCulture) : "?";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
