using System.Text.Json.Nodes;
using Grpc.Core;
using GuestPull.Api.Grpc;
using GuestPull.Api.Cri.V1;
using GuestPull.Install.Tests.Infrastructure;
using GuestPull.Testing;
using GuestPull.Testing.Traits;

namespace GuestPull.Install.Tests.Integration;

/// <summary>
/// The whole point of the config edit: after <c>guestpull install</c>, a CRI pull on containerd 1.6's
/// default config (made private) goes through the snapshotter in proxy mode, so no layer blob is
/// downloaded on the host.
/// </summary>
[Trait(Requires.Trait, Requires.Components)]
public sealed class CriGuestPullTests : IClassFixture<BusyboxImageFixture>
{
    private readonly BusyboxImageFixture _busybox;

    public CriGuestPullTests(BusyboxImageFixture busybox) => _busybox = busybox;

    [Fact]
    public async Task CriPullAfterInstallFetchesNoLayerOnTheHost()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        await using var registry = await RegistryInstance.StartAsync(timeout.Token);
        await ImageBuilder.PushAsync(_busybox.LayoutDirectory, BusyboxImageFixture.Tag, registry, "cri/busybox:1", cancellationToken: timeout.Token);
        var manifest = JsonNode.Parse(ImageBuilder.ReadBlob(_busybox.LayoutDirectory, _busybox.ManifestDigest))!;
        var layers = manifest["layers"]!.AsArray().Select(l => (string)l!["digest"]!).ToList();
        var config = (string)manifest["config"]!["digest"]!;
        await using var containerd = await RestartableContainerd.CreateAsync(timeout.Token, registry.Host);
        var options = new InstallOptions
        {
            ContainerdConfig = containerd.ConfigPath,
            ContainerdAddress = containerd.GrpcAddress,
            ServiceMode = ServiceMode.Standalone,
            SkipContainerdRestart = true,
            SkipBinaries = true,
            SourceDirectory = AppContext.BaseDirectory,
        }.WithPrefix(Path.Combine(containerd.Directory, "prefix"));

        try
        {
            await GuestPullInstaller.InstallAsync(options, timeout.Token);
            await containerd.StartAsync(timeout.Token);
            using var channel = UnixSocketChannel.Create(containerd.GrpcAddress);
            var images = new ImageService.ImageServiceClient(channel);

            var pulled = await PullWhenCriIsUpAsync(images, $"{registry.Host}/cri/busybox:1", timeout.Token);

            Assert.StartsWith("sha256:", pulled, StringComparison.Ordinal);
            // The config blob is still fetched on the host (the registry log does see downloads); the layers are not.
            Assert.True(await registry.CountBlobGetsAsync(config, timeout.Token) >= 1);
            foreach (var layer in layers)
            {
                Assert.Equal(0, await registry.CountBlobGetsAsync(layer, timeout.Token));
            }
            var list = await containerd.RunCtrAsync(["snapshots", "--snapshotter", "guestpull", "ls"], "k8s.io");
            Assert.Contains("Committed", list.StandardOutput, StringComparison.Ordinal);
        }
        finally
        {
            await GuestPullInstaller.UninstallAsync(options, keepState: false, CancellationToken.None);
        }
    }

    private static async Task<string> PullWhenCriIsUpAsync(ImageService.ImageServiceClient images, string image, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (true)
        {
            try
            {
                var response = await images.PullImageAsync(new PullImageRequest { Image = new ImageSpec { Image = image } }, cancellationToken: cancellationToken);
                return response.ImageRef;
            }
            catch (RpcException ex) when (ex.StatusCode is StatusCode.Unavailable or StatusCode.Unimplemented && DateTime.UtcNow < deadline)
            {
                await Task.Delay(500, cancellationToken);
            }
        }
    }
}
