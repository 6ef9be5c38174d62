using System.Net;
using System.Net.Sockets;
using GuestPull.Api.Cri.V1;
using GuestPull.Cache;
using GuestPull.IntegrationTests.Cri;
using GuestPull.Testing;
using GuestPull.Testing.Cri;
using GuestPull.Testing.Traits;

namespace GuestPull.IntegrationTests.Vm;

/// <summary>
/// Two VM pods of one image on a node whose shim points the agents at a node cache on the node's
/// loopback (<c>[agent] node_cache = "127.0.0.1:PORT"</c>): the shim hands the guest the cache at the
/// VM's gateway, the first pod's pull fills the cache, and the registry serves each layer once.
/// </summary>
[Trait(Requires.Trait, Requires.Components)]
[Collection(CriCollection.Name)]
public sealed class VmNodeCachePodTests(VmNodeCachePodTests.CachedVmNodeFixture fixture) : IClassFixture<VmNodeCachePodTests.CachedVmNodeFixture>
{
    private CriNode Node => fixture.Node;

    [Fact]
    public async Task TwoVmPodsOfOneImagePullThroughTheNodeCache_AndTheRegistryServesEachLayerOnce()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(12));
        var token = timeout.Token;
        var marker = "guestpull-cached-" + Guid.NewGuid().ToString("N");
        var (image, ownLayer) = await fixture.PushImageOfItsOwnAsync("vm-cached", marker, marker, token);
        await Node.Registry.SyncAccessLogAsync(token);
        Node.Registry.ClearRequests();

        foreach (var pod in new[] { "cached-1", "cached-2" })
        {
            var podConfig = Node.PodConfig(pod);
            var podId = (await Node.Runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = podConfig, RuntimeHandler = CriNode.Handler }, cancellationToken: token)).PodSandboxId;
            try
            {
                await Node.Images.PullImageAsync(new PullImageRequest { Image = new ImageSpec { Image = image }, SandboxConfig = podConfig }, cancellationToken: token);
                var id = (await Node.Runtime.CreateContainerAsync(
                    new CreateContainerRequest { PodSandboxId = podId, Config = CriNode.ContainerConfig("app", image, "cat", "/" + marker), SandboxConfig = podConfig },
                    cancellationToken: token)).ContainerId;
                await Node.Runtime.StartContainerAsync(new StartContainerRequest { ContainerId = id }, cancellationToken: token);
                var status = await Node.WaitForExitAsync(id, token);
                Assert.True(status.ExitCode == 0, $"{pod}: exit {status.ExitCode} {status.Reason} {status.Message}\n{Node.Describe()}");
                Assert.Equal([marker], CriNode.ReadLogLines(status.LogPath));
            }
            finally
            {
                await Node.RemovePodAsync(podId, token);
            }
        }

        await Node.Registry.SyncAccessLogAsync(token);
        var gets = Node.Registry.Requests.Where(r => r.IsBlobGet && r.BlobDigest == ownLayer && r.Status is 200 or 206).ToList();
        Assert.Single(gets);
        Assert.StartsWith("guestpull-cache/", gets[0].UserAgent, StringComparison.Ordinal);
        Assert.True(fixture.Cache.Metrics.Hits >= 1, $"cache hits: {fixture.Cache.Metrics.Hits}");
        Assert.True(fixture.Cache.Metrics.ServedBytes > 0);
    }

    /// <summary>A VM node whose agents use a node cache started before containerd, on a free loopback port.</summary>
    public sealed class CachedVmNodeFixture : CriNodeFixture
    {
        private TempDirectory? _work;
        private RunningCache? _cache;
        private int _port;

        internal RunningCache Cache => _cache ?? throw new InvalidOperationException("The cache is not started.");

        public override async Task InitializeAsync()
        {
            _work = TempDirectory.Create("vm-node-cache");
            using (var listener = new TcpListener(IPAddress.Loopback, 0))
            {
                listener.Start();
                _port = ((IPEndPoint)listener.LocalEndpoint).Port;
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            _cache = await CacheHost.StartAsync(
                new CacheOptions { Listen = $"127.0.0.1:{_port}", Root = _work.Combine("cache"), LogLevel = Microsoft.Extensions.Logging.LogLevel.Warning },
                timeout.Token);
            await base.InitializeAsync();
        }

        private protected override CriNodeOptions Options(CriNodeOptions defaults) =>
            new()
            {
                GuestPullCommand = defaults.GuestPullCommand,
                Sandbox = "vm",
                GuestImageDirectory = Path.GetDirectoryName(GuestImage.Locate().Kernel),
                ExtraAgentConfig = $"node_cache = \"127.0.0.1:{_port}\"",
            };

        public override async Task DisposeAsync()
        {
            await base.DisposeAsync();
            if (_cache is not null)
            {
                await _cache.DisposeAsync();
            }

            _work?.Dispose();
        }
    }
}
