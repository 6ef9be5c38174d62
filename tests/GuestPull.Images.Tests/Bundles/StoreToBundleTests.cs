using GuestPull.Images.Bundles;
using GuestPull.Images.Spec;
using GuestPull.Images.Store;
using GuestPull.Images.Tests.Fixtures;
using GuestPull.Images.Tests.Store;
using GuestPull.Oci.Model;
using GuestPull.Testing;
using GuestPull.Testing.Traits;

namespace GuestPull.Images.Tests.Bundles;

[Trait(Requires.Trait, Requires.Root)]
public sealed class StoreToBundleTests : IDisposable
{
    private readonly TempDirectory _temp = TempDirectory.Create("store-bundle");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task CommittedLayersOfARecordedImageMakeARunnableBundle()
    {
        await using var store = await LayerStore.OpenAsync(_temp.Combine("store"));
        var baseLayer = new LayerDirectory(store.CreateTempLayerDirectory())
            .Dir("etc").File("etc/passwd", "root:x:0:0::/root:/bin/sh\nweb:x:33:33::/var/www:/bin/sh\n").File("etc/group", "www:x:33:\n")
            .Dir("bin").File("bin/server", "v1", 0x1ED);
        var update = new LayerDirectory(store.CreateTempLayerDirectory())
            .Dir("bin").File("bin/server", "v2", 0x1ED);
        var diffIds = new[] { LayerStoreTests.DiffId("base"), LayerStoreTests.DiffId("update") };
        await store.CommitLayerAsync(baseLayer.Root, diffIds[0], null, "application/vnd.oci.image.layer.v1.tar", 100);
        await store.CommitLayerAsync(update.Root, diffIds[1], null, "application/vnd.oci.image.layer.v1.tar", 10);
        var config = new ImageConfig { Platform = new Platform("linux", "amd64"), DiffIds = diffIds, Cmd = ["/bin/server"], User = "web" };
        await store.RecordImageAsync(new ImageRecord
        {
            Reference = "registry.test/web:2",
            ManifestDigest = LayerStoreTests.DiffId("manifest"),
            ConfigDigest = LayerStoreTests.DiffId("config"),
            Platform = "linux/amd64",
            ConfigJson = "{}",
            DiffIds = diffIds,
        });

        var image = (await store.GetImageAsync("registry.test/web:2"))!;
        var writer = new BundleWriter();
        var bundle = await writer.CreateAsync(_temp.Combine("bundle"), image.DiffIds.Select(store.LayerPath).ToList(), rootfs => RuntimeSpecBuilder.Build(config, rootfs), BundleMode.Overlay);
        try
        {
            Assert.Equal("v2", await File.ReadAllTextAsync(Path.Combine(bundle.RootfsPath, "bin", "server")));
            Assert.Contains("\"uid\": 33", await File.ReadAllTextAsync(bundle.ConfigPath), StringComparison.Ordinal);

            // Layers in use by a bundle stay until the image is removed and the store pruned.
            Assert.Empty((await store.PruneAsync()).RemovedLayers);
        }
        finally
        {
            await writer.RemoveAsync(bundle.Directory);
        }

        await store.RemoveImageAsync(image.Reference);
        Assert.Equal(2, (await store.PruneAsync()).RemovedLayers.Count);
    }
}
