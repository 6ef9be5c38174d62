using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Grpc.Core;
using GuestPull.Api.Containerd.Snapshots.V1;
using GuestPull.Api.Cri.V1;
using GuestPull.Testing;
using GuestPull.Testing.Containerd;
using GuestPull.Testing.Traits;

namespace GuestPull.Snapshotter.Tests;

/// <summary>
/// Real containerd 1.6 with CRI, `[proxy_plugins.guestpull]` as the global snapshotter and the proxy
/// driver: a CRI PullImage fetches no layer blob, leaves committed proxy snapshots with the CRI
/// labels, and a container snapshot gets the guest-pull mount. Needs root.
/// </summary>
[Trait(Requires.Trait, Requires.Components)]
public sealed class ContainerdCriProxyTests(BusyboxImageFixture busybox) : IClassFixture<BusyboxImageFixture>
{
    private const string Namespace = "k8s.io";

    [Fact]
    public async Task CriPullImage_SkipsLayerBlobs_AndContainerSnapshotsCarryTheGuestPullVolume()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        var token = timeout.Token;
        using var work = TempDirectory.Create("cri-proxy-image");
        // Two layers, so the mount has a real lowerdir chain.
        var layout = busybox.CopyLayoutTo(work.Combine("layout"));
        await ImageBuilder.AddLayerAsync(layout, BusyboxImageFixture.Tag, rootfs => File.WriteAllText(Path.Combine(rootfs, "extra.txt"), "second layer"), token);

        await using var snapshotter = await SnapshotterServer.StartAsync(SnapshotterDriver.Proxy);
        await using var registry = await RegistryInstance.StartAsync(token);
        var image = $"{registry.Host}/app:1";
        var manifestDigest = await ImageBuilder.PushAsync(layout, BusyboxImageFixture.Tag, registry, "app:1", cancellationToken: token);
        var layerDigests = await GetLayerDigestsAsync(registry, token);
        Assert.Equal(2, layerDigests.Count);

        await using var containerd = await ContainerdInstance.StartAsync(
            new ContainerdOptions
            {
                EnableCri = true,
                SandboxImage = $"{registry.Host}/pause:3.9",
                ExtraConfig = $"""
                    [proxy_plugins.guestpull]
                      type = "snapshot"
                      address = "{snapshotter.Address}"

                    [plugins."io.containerd.grpc.v1.cri".containerd]
                      snapshotter = "guestpull"
                      disable_snapshot_annotations = false
                      discard_unpacked_layers = false

                    [plugins."io.containerd.grpc.v1.cri".registry.mirrors."{registry.Host}"]
                      endpoint = ["http://{registry.Host}"]
                    """,
            },
            token);
        using var containerdChannel = SnapshotterServer.CreateChannel(containerd.GrpcAddress);
        var cri = new ImageService.ImageServiceClient(containerdChannel);

        var pulled = await cri.PullImageAsync(new PullImageRequest { Image = new ImageSpec { Image = image } }, cancellationToken: token);
        Assert.StartsWith("sha256:", pulled.ImageRef, StringComparison.Ordinal);

        // No layer blob left the registry; containerd lists the image.
        foreach (var layer in layerDigests)
        {
            Assert.Equal(0, await registry.CountBlobGetsAsync(layer, token));
        }
        // The access log is being read: the config blob was fetched on the host, as with nydus.
        Assert.True(registry.CountBlobGets() > 0, "the registry log shows no blob GET at all");
        var status = await cri.ImageStatusAsync(new ImageStatusRequest { Image = new ImageSpec { Image = image } }, cancellationToken: token);
        Assert.NotNull(status.Image);
        Assert.Contains(image, status.Image.RepoTags);

        // The snapshotter holds the layers as committed proxy snapshots carrying CRI's labels.
        var own = snapshotter.CreateClient();
        var committed = await ListAsync(own, [], null, token);
        Assert.Equal(2, committed.Count);
        Assert.All(committed, info =>
        {
            Assert.Equal(Kind.Committed, info.Kind);
            Assert.Equal("true", info.Labels["containerd.io/snapshot/nydus-proxy-mode"]);
            Assert.Equal(image, info.Labels["containerd.io/snapshot/cri.image-ref"]);
            Assert.Equal(manifestDigest, info.Labels["containerd.io/snapshot/cri.manifest-digest"]);
            Assert.Contains(info.Labels["containerd.io/snapshot/cri.layer-digest"], layerDigests);
        });
        var top = Assert.Single(committed, info => committed.All(other => other.Parent != info.Name));

        // A container snapshot prepared through containerd's own snapshots API gets the guest-pull mount.
        var containerdSnapshots = new Snapshots.SnapshotsClient(containerdChannel);
        var headers = new Metadata { { "containerd-namespace", Namespace } };
        var prepared = await containerdSnapshots.PrepareAsync(
            new PrepareSnapshotRequest
            {
                Snapshotter = "guestpull",
                Key = "gp-test-container",
                Parent = top.Name,
                // Without a lease or a gc.root label containerd's GC may collect it before we look.
                Labels = { ["containerd.io/gc.root"] = DateTime.UtcNow.ToString("O") },
            },
            headers, cancellationToken: token);
        var mount = Assert.Single(prepared.Mounts);
        Assert.Equal("fuse.nydus-overlayfs", mount.Type);
        var option = Assert.Single(mount.Options, o => o.StartsWith("io.katacontainers.volume=", StringComparison.Ordinal));
        using (var volume = JsonDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(option["io.katacontainers.volume=".Length..]))))
        {
            var root = volume.RootElement;
            Assert.Equal("image_guest_pull", root.GetProperty("volume_type").GetString());
            Assert.Equal(image, root.GetProperty("source").GetString());
            var metadata = root.GetProperty("image_pull").GetProperty("metadata");
            Assert.Equal(image, metadata.GetProperty("containerd.io/snapshot/cri.image-ref").GetString());
            Assert.Equal(manifestDigest, metadata.GetProperty("containerd.io/snapshot/cri.manifest-digest").GetString());
            Assert.Equal(string.Join(',', layerDigests), metadata.GetProperty("containerd.io/snapshot/cri.image-layers").GetString());
        }
        await containerdSnapshots.RemoveAsync(new RemoveSnapshotRequest { Snapshotter = "guestpull", Key = "gp-test-container" }, headers, cancellationToken: token);

        // RemoveImage lets containerd's GC remove the snapshots, and their directories go with them.
        await cri.RemoveImageAsync(new RemoveImageRequest { Image = new ImageSpec { Image = image } }, cancellationToken: token);
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while ((await ListAsync(own, [], null, token)).Count > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(250), token);
        }
        Assert.Empty(await ListAsync(own, [], null, token));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(snapshotter.Root, "snapshots")));
    }

    private static async Task<List<string>> GetLayerDigestsAsync(RegistryInstance registry, CancellationToken cancellationToken)
    {
        using var http = registry.CreateHttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(registry.BaseUri, "v2/app/manifests/1"));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(ImageBuilder.OciManifestMediaType));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/vnd.docker.distribution.manifest.v2+json"));
        using var response = await http.SendAsync(request, cancellationToken);
        response.EnsureSuccessStatusCode();
        using var manifest = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        return manifest.RootElement.GetProperty("layers").EnumerateArray().Select(layer => layer.GetProperty("digest").GetString()!).ToList();
    }

    private static async Task<List<Info>> ListAsync(Snapshots.SnapshotsClient client, string[] filters, Metadata? headers, CancellationToken cancellationToken)
    {
        var request = new ListSnapshotsRequest { Snapshotter = "guestpull" };
        request.Filters.Add(filters);
        using var call = client.List(request, headers, cancellationToken: cancellationToken);
        var infos = new List<Info>();
        while (await call.ResponseStream.MoveNext(cancellationToken))
        {
            infos.AddRange(call.ResponseStream.Current.Info);
        }
        return infos;
    }
}
