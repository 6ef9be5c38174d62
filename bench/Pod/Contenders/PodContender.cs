using System.Diagnostics;
using Grpc.Core;
using GuestPull.Bench.Common.Image;
using GuestPull.Api.Cri.V1;
using GuestPull.Testing;
using GuestPull.Testing.Cri;

namespace GuestPull.Bench.Pod.Contenders;

/// One runtime on its own node (containerd + registry holding the benchmark image), timed from
/// RunPodSandbox to the exit of a container of the image; between runs, everything the run pulled
/// is removed so the next one starts cold.
internal sealed class PodContender : IAsyncDisposable
{
    public const string Repository = "bench/debian";
    public const string Tag = "bookworm";
    private const string CriNamespace = "k8s.io";
    private static readonly TimeSpan ExitPollInterval = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan ColdTimeout = TimeSpan.FromMinutes(2);

    private readonly CriNode _node;
    private readonly string _handler;
    private readonly string _snapshotter;
    private readonly IReadOnlyList<string> _layerDigests;
    private readonly HashSet<string> _baselineSnapshots;
    private readonly string _layerFetcher;
    private readonly TextWriter _log;
    private readonly VmInspector? _vm;

    private PodContender(ContenderSpec spec, CriNode node, IReadOnlyList<string> layerDigests, HashSet<string> baselineSnapshots, VmInspector? vm, TextWriter log)
    {
        Name = spec.Name;
        Description = spec.Description;
        _node = node;
        _handler = spec.Handler;
        _snapshotter = spec.Snapshotter;
        _layerFetcher = spec.LayerFetcher;
        _layerDigests = layerDigests;
        _baselineSnapshots = baselineSnapshots;
        _vm = vm;
        _log = log;
    }

    public string Name { get; }

    public string Description { get; }

    public string Reference => $"{_node.Registry.Host}/{Repository}:{Tag}";

    /// Starts the node, pushes the benchmark image to its registry and pulls the pause image (as a
    /// node that has run pods before has it), so runs time only the pod and its image. A VM contender's
    /// node pulls busybox too, for the container its measurements run in, so that image's snapshots
    /// are part of the baseline the cold check leaves alone.
    public static async Task<PodContender> StartAsync(ContenderSpec spec, BusyboxImageFixture busybox, BenchImage image, TextWriter log, CancellationToken cancellationToken)
    {
        var node = await CriNode.StartAsync(busybox, spec.NodeOptions, cancellationToken).ConfigureAwait(false);
        try
        {
            await log.WriteLineAsync($"{spec.Name}: node up (containerd {node.Containerd.GrpcAddress}, registry {node.Registry.Host}, snapshotter {spec.Snapshotter}); pushing the image").ConfigureAwait(false);
            await ImageBuilder.PushAsync(image.LayoutDirectory, image.Tag, node.Registry, $"{Repository}:{Tag}", new PushOptions { Timeout = TimeSpan.FromMinutes(20) }, cancellationToken).ConfigureAwait(false);
            await node.Images.PullImageAsync(new PullImageRequest { Image = new ImageSpec { Image = node.PauseImage } }, cancellationToken: cancellationToken);
            VmInspector? vm = null;
            if (spec.InVm)
            {
                await node.Images.PullImageAsync(new PullImageRequest { Image = new ImageSpec { Image = node.BusyboxImage } }, cancellationToken: cancellationToken);
                vm = new VmInspector(node, image, ImageDiffIds.Read(image), Repository, log);
            }

            var baseline = await ListSnapshotsAsync(node, spec.Snapshotter, cancellationToken).ConfigureAwait(false);
            return new PodContender(spec, node, [.. image.Layers.Select(l => l.Digest)], baseline, vm, log);
        }
        catch
        {
            await node.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// One timed run; the pod and the image are removed afterwards (untimed) whatever happened.
    /// A failed run throws <see cref="InvalidOperationException"/> naming the phase it reached.
    public async Task<PodSample> RunOnceAsync(string podName, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var podConfig = _node.PodConfig(podName);
        if (_vm is not null)
        {
            VmInspector.SharePidNamespaceWithGuest(podConfig);
        }

        var progress = new RunProgress();
        PodSample? sample = null;
        string? failure = null;
        using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            deadline.CancelAfter(timeout);
            try
            {
                await _node.Registry.SyncAccessLogAsync(deadline.Token).ConfigureAwait(false);
                _node.Registry.ClearRequests();
                var timed = await TimeRunAsync(podConfig, progress, deadline.Token).ConfigureAwait(false);
                await CheckLayersDownloadedAsync(deadline.Token).ConfigureAwait(false);

                // After the cold check: the in-guest bound downloads the layers again, as busybox's wget.
                sample = _vm is null ? timed : timed with { Vm = await _vm.MeasureAsync(Name, progress.PodId!, podConfig, deadline.Token).ConfigureAwait(false) };
            }
            catch (Exception e) when (e is RpcException or OperationCanceledException or InvalidOperationException && !cancellationToken.IsCancellationRequested)
            {
                var reached = progress.Last is { } last ? $"after '{Phases.Describe(last)}' at {progress.Phases[last]:F2} s" : "before RunPodSandbox returned";
                failure = $"{(deadline.IsCancellationRequested ? $"timed out after {timeout.TotalSeconds:F0} s" : e.Message)} ({reached})";
                await _log.WriteLineAsync($"{Name}: run failed: {failure}\n{_node.Describe()}").ConfigureAwait(false);
            }
        }

        try
        {
            await RemoveAsync(progress.PodId, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (failure is not null && e is RpcException or InvalidOperationException)
        {
            failure += $"; removing the pod and the image failed too: {e.Message}";
        }

        return sample ?? throw new InvalidOperationException(failure);
    }

    private async Task<PodSample> TimeRunAsync(PodSandboxConfig podConfig, RunProgress progress, CancellationToken token)
    {
        var phases = progress.Phases;
        var startedAtUnixNanoseconds = (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks * 100;
        var clock = Stopwatch.StartNew();
        void Mark(string phase)
        {
            phases[phase] = clock.Elapsed.TotalSeconds;
            progress.Last = phase;
        }

        progress.PodId = (await _node.Runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = podConfig, RuntimeHandler = _handler }, cancellationToken: token)).PodSandboxId;
        Mark(Phases.Sandbox);

        await _node.Images.PullImageAsync(new PullImageRequest { Image = new ImageSpec { Image = Reference }, SandboxConfig = podConfig }, cancellationToken: token);
        Mark(Phases.Pulled);

        var containerId = (await _node.Runtime.CreateContainerAsync(
            new CreateContainerRequest { PodSandboxId = progress.PodId, Config = CriNode.ContainerConfig("probe", Reference, Probe.Command), SandboxConfig = podConfig },
            cancellationToken: token)).ContainerId;
        Mark(Phases.Created);

        await _node.Runtime.StartContainerAsync(new StartContainerRequest { ContainerId = containerId }, cancellationToken: token);
        Mark(Phases.Started);

        var status = await WaitForExitAsync(containerId, token).ConfigureAwait(false);
        Mark(Phases.Exited);

        // containerd's timestamps for the process itself (from the shim's events), on the same clock as our start.
        if (status.StartedAt > 0)
        {
            phases[Phases.ProcessStarted] = (status.StartedAt - startedAtUnixNanoseconds) / 1e9;
        }

        if (status.FinishedAt > 0)
        {
            phases[Phases.ProcessExited] = (status.FinishedAt - startedAtUnixNanoseconds) / 1e9;
        }

        if (status.ExitCode != 0)
        {
            throw new InvalidOperationException($"the probe container exited with {status.ExitCode} ({status.Reason}: {status.Message}); log: [{string.Join(" | ", ReadLog(status.LogPath))}]");
        }

        Probe.Check(ReadLog(status.LogPath));
        return new PodSample(phases);
    }

    /// The proof that the run was cold: the registry served every layer blob during it, and only to
    /// the expected fetcher (the agent in the sandbox for guestpull, containerd on the host for runc).
    private async Task CheckLayersDownloadedAsync(CancellationToken cancellationToken)
    {
        await _node.Registry.SyncAccessLogAsync(cancellationToken).ConfigureAwait(false);
        var gets = _node.Registry.Requests.Where(r => r.IsBlobGet && r.Status is >= 200 and < 400 && _layerDigests.Contains(r.BlobDigest!)).ToList();
        var missing = _layerDigests.Where(d => !gets.Any(r => r.BlobDigest == d)).ToList();
        var strangers = gets.Where(r => !r.UserAgent.StartsWith(_layerFetcher, StringComparison.Ordinal)).Select(r => r.UserAgent).Distinct().ToList();
        if (missing.Count > 0 || strangers.Count > 0)
        {
            throw new InvalidOperationException(
                $"the run was not a cold pull by '{_layerFetcher}': layers not downloaded during the run: [{string.Join(", ", missing)}]; downloaded by others too: [{string.Join(", ", strangers)}]");
        }
    }

    // Polls faster than CriNode.WaitForExitAsync: the poll interval is part of the figure.
    private async Task<ContainerStatus> WaitForExitAsync(string containerId, CancellationToken cancellationToken)
    {
        while (true)
        {
            var status = (await _node.Runtime.ContainerStatusAsync(new ContainerStatusRequest { ContainerId = containerId }, cancellationToken: cancellationToken)).Status;
            if (status.State == ContainerState.ContainerExited)
            {
                return status;
            }

            await Task.Delay(ExitPollInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    private static string[] ReadLog(string path) => File.Exists(path) ? CriNode.ReadLogLines(path) : [$"(no log at {path})"];

    /// Stops and removes the pod, removes the image, then waits until containerd has dropped the
    /// image's layers and snapshots and the runtime its per-pod state: the next run pulls from scratch.
    private async Task RemoveAsync(string? podId, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(ColdTimeout);
        var token = deadline.Token;
        if (podId is not null)
        {
            await _node.Runtime.StopPodSandboxAsync(new StopPodSandboxRequest { PodSandboxId = podId }, cancellationToken: token);
            await _node.Runtime.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = podId }, cancellationToken: token);
        }

        await _node.Images.RemoveImageAsync(new RemoveImageRequest { Image = new ImageSpec { Image = Reference } }, cancellationToken: token);
        string[] left = [];
        try
        {
            while (true)
            {
                left = await WhatIsLeftAsync(podId, token).ConfigureAwait(false);
                if (left.Length == 0)
                {
                    return;
                }

                await Task.Delay(200, token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new InvalidOperationException($"{Name}: the node is not cold {ColdTimeout.TotalSeconds:F0} s after the pod and the image were removed; still there: {string.Join(", ", left)}");
        }
    }

    private async Task<string[]> WhatIsLeftAsync(string? podId, CancellationToken cancellationToken)
    {
        var left = new List<string>();
        var content = await CtrAsync(["content", "ls", "-q"], cancellationToken).ConfigureAwait(false);
        left.AddRange(_layerDigests.Where(d => content.Contains(d, StringComparison.Ordinal)).Select(d => $"layer blob {d}"));
        var snapshots = await ListSnapshotsAsync(_node, _snapshotter, cancellationToken).ConfigureAwait(false);
        left.AddRange(snapshots.Where(s => !_baselineSnapshots.Contains(s)).Select(s => $"{_snapshotter} snapshot {s}"));
        if (podId is not null)
        {
            // The guestpull runtime keeps the guest's layer store with the pod's state; runc keeps nothing there.
            left.AddRange(DirectoriesNamed(_node.ShimStateRoot, podId).Concat(DirectoriesNamed(_node.SharedRoot, podId)));
        }

        return [.. left];
    }

    private static IEnumerable<string> DirectoriesNamed(string root, string name) =>
        Directory.Exists(root)
            ? Directory.EnumerateDirectories(root, name, new EnumerationOptions { RecurseSubdirectories = true, MaxRecursionDepth = 3, IgnoreInaccessible = true })
            : [];

    private static async Task<HashSet<string>> ListSnapshotsAsync(CriNode node, string snapshotter, CancellationToken cancellationToken)
    {
        var result = await node.Containerd.RunCtrAsync(["snapshots", "--snapshotter", snapshotter, "ls"], CriNamespace, cancellationToken: cancellationToken).ConfigureAwait(false);
        return [.. result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Skip(1).Select(line => line.Split(' ', 2)[0])];
    }

    private async Task<string> CtrAsync(string[] arguments, CancellationToken cancellationToken) =>
        (await _node.Containerd.RunCtrAsync(arguments, CriNamespace, cancellationToken: cancellationToken).ConfigureAwait(false)).StandardOutput;

    public ValueTask DisposeAsync() => _node.DisposeAsync();

    /// What a run got to, for the cleanup and for the message when it fails.
    private sealed class RunProgress
    {
        public string? PodId { get; set; }

        public Dictionary<string, double> Phases { get; } = [];

        public string? Last { get; set; }
    }
}
