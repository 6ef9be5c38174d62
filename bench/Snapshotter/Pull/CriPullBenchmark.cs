using System.Diagnostics;
using System.Globalization;
using Grpc.Core;
using GuestPull.Api.Grpc;
using GuestPull.Snapshotter;
using GuestPull.Api.Containerd.Snapshots.V1;
using GuestPull.Api.Cri.V1;
using GuestPull.Testing;
using GuestPull.Testing.Containerd;

namespace GuestPull.Bench.Snapshotter.Pull;

/// Times CRI PullImage of one image through a private containerd 1.6, once with guestpull's proxy
/// driver as the CRI snapshotter and once with containerd's own overlayfs, per round. Every pull gets
/// a fresh containerd root (and a fresh guestpull root), started untimed; the registry is shared.
internal sealed class CriPullBenchmark(int runs, TimeSpan pullTimeout, TextWriter log)
{
    private const string Repository = "bench/image:1";
    private static readonly TimeSpan PushTimeout = TimeSpan.FromMinutes(30);

    public async Task<PullResults> RunAsync(BenchImage image, CancellationToken cancellationToken)
    {
        await using var registry = await RegistryInstance.StartAsync(new RegistryOptions { Name = "bench-snapshotter" }, cancellationToken).ConfigureAwait(false);
        await log.WriteLineAsync($"pull: pushing the image to {registry.Host} with skopeo").ConfigureAwait(false);
        await ImageBuilder.PushAsync(image.LayoutDirectory, image.Tag, registry, Repository, new PushOptions { Timeout = PushTimeout }, cancellationToken).ConfigureAwait(false);
        var reference = $"{registry.Host}/{Repository}";

        var samples = new List<PullSample>();
        for (var run = 1; run <= runs; run++)
        {
            // Alternate who goes first, so neither always meets a colder or warmer machine.
            PullContender[] order = run % 2 == 1
                ? [PullContender.GuestPullProxy, PullContender.ContainerdOverlayfs]
                : [PullContender.ContainerdOverlayfs, PullContender.GuestPullProxy];
            foreach (var contender in order)
            {
                var sample = await PullOnceAsync(contender, run, image, registry, reference, cancellationToken).ConfigureAwait(false);
                samples.Add(sample);
                await log.WriteLineAsync(Invariant($"pull: run {run} {Describe(contender)}: {sample.Seconds:F3} s, {sample.LayerBlobGets} layer blob(s) served")).ConfigureAwait(false);
            }
        }

        return new PullResults(reference, image, runs, samples);
    }

    public static string Describe(PullContender contender) => contender switch
    {
        PullContender.GuestPullProxy => "guestpull proxy",
        PullContender.ContainerdOverlayfs => "containerd overlayfs",
        _ => throw new ArgumentOutOfRangeException(nameof(contender), contender, "unknown contender"),
    };

    private async Task<PullSample> PullOnceAsync(PullContender contender, int run, BenchImage image, RegistryInstance registry, string reference, CancellationToken cancellationToken)
    {
        // Whatever earlier pulls left in the access log goes before this pull is counted.
        await registry.SyncAccessLogAsync(cancellationToken).ConfigureAwait(false);
        registry.ClearRequests();

        using var snapshotterDirectory = contender == PullContender.GuestPullProxy ? TempDirectory.Create("bench-snapshotter-proxy") : null;
        await using var snapshotter = snapshotterDirectory is null
            ? null
            : await SnapshotterHost.StartAsync(
                new SnapshotterOptions
                {
                    Root = snapshotterDirectory.Combine("root"),
                    Address = snapshotterDirectory.Combine("run", "snapshotter.sock"),
                    FsDriver = "proxy",
                    LogLevel = "warn",
                },
                cancellationToken).ConfigureAwait(false);
        // Declared after the snapshotter, so it is disposed (stopped) before it.
        await using var containerd = await ContainerdInstance.StartAsync(
            new ContainerdOptions
            {
                EnableCri = true,
                SandboxImage = $"{registry.Host}/pause:3.9",
                LogLevel = "warn",
                ExtraConfig = ContainerdConfig(registry.Host, snapshotter?.Address),
            },
            cancellationToken).ConfigureAwait(false);

        using var channel = UnixSocketChannel.Create(containerd.GrpcAddress);
        var cri = new ImageService.ImageServiceClient(channel);
        await ProcessRunner.RunAsync("sync", [], cancellationToken).ConfigureAwait(false);

        var clock = Stopwatch.StartNew();
        await cri.PullImageAsync(
            new PullImageRequest { Image = new ImageSpec { Image = reference } },
            new CallOptions(deadline: DateTime.UtcNow + pullTimeout, cancellationToken: cancellationToken)).ResponseAsync.ConfigureAwait(false);
        var seconds = clock.Elapsed.TotalSeconds;

        var status = await cri.ImageStatusAsync(new ImageStatusRequest { Image = new ImageSpec { Image = reference } }, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (status.Image is null || !status.Image.RepoTags.Contains(reference))
        {
            throw new InvalidOperationException($"After PullImage with {Describe(contender)}, containerd does not list {reference}.\n{containerd.DescribeLog()}");
        }

        await registry.SyncAccessLogAsync(cancellationToken).ConfigureAwait(false);
        var layerBlobGets = image.LayerDigests.Sum(registry.CountBlobGets);
        int? snapshots = snapshotter is null ? null : await CountCommittedAsync(snapshotter.Address, cancellationToken).ConfigureAwait(false);
        return new PullSample(contender, run, seconds, layerBlobGets, registry.CountBlobGets(), snapshots);
    }

    private static string ContainerdConfig(string registryHost, string? proxyAddress)
    {
        var proxy = proxyAddress is null
            ? string.Empty
            : $"""
                [proxy_plugins.guestpull]
                  type = "snapshot"
                  address = {ContainerdQuote(proxyAddress)}

                """;
        return proxy + $"""
            [plugins."io.containerd.grpc.v1.cri".containerd]
              snapshotter = "{(proxyAddress is null ? "overlayfs" : "guestpull")}"
              disable_snapshot_annotations = false
              discard_unpacked_layers = false

            [plugins."io.containerd.grpc.v1.cri".registry.mirrors."{registryHost}"]
              endpoint = ["http://{registryHost}"]
            """;
    }

    // Temp paths carry no quote or backslash, but a TOML string must not break if one ever does.
    private static string ContainerdQuote(string value) => "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    private static async Task<int> CountCommittedAsync(string address, CancellationToken cancellationToken)
    {
        using var channel = UnixSocketChannel.Create(address);
        var client = new Snapshots.SnapshotsClient(channel);
        using var call = client.List(new ListSnapshotsRequest { Snapshotter = "guestpull" }, cancellationToken: cancellationToken);
        var committed = 0;
        while (await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            committed += call.ResponseStream.Current.Info.Count(info => info.Kind == Kind.Committed);
        }

        return committed;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
