using System.Text.Json;
using GuestPull.IntegrationTests.Infrastructure;
using GuestPull.Linux;
using GuestPull.Testing;
using GuestPull.Testing.Traits;

namespace GuestPull.IntegrationTests.Pull;

/// <summary>A failed pull names the problem and leaves nothing behind; a pull of cached layers downloads nothing.</summary>
[Trait(Requires.Trait, Requires.Components)]
public sealed class PullFailureTests : IClassFixture<BusyboxImageFixture>, IAsyncLifetime
{
    private const string Repo = "pull/busybox:1";
    private readonly BusyboxImageFixture _image;
    private RegistryInstance _registry = null!;

    public PullFailureTests(BusyboxImageFixture image) => _image = image;

    private static CancellationToken Timeout => new CancellationTokenSource(TimeSpan.FromMinutes(3)).Token;

    public async Task InitializeAsync()
    {
        _registry = await RegistryInstance.StartAsync(new RegistryOptions { Name = "pull" }, Timeout);
        await ImageBuilder.PushAsync(_image.LayoutDirectory, BusyboxImageFixture.Tag, _registry, Repo, new PushOptions { PreserveDigests = true }, Timeout);
    }

    public async Task DisposeAsync() => await _registry.DisposeAsync();

    private string Reference => _registry.Host + "/" + Repo;

    private string LayerDigest()
    {
        using var manifest = JsonDocument.Parse(ImageBuilder.ReadBlob(_image.LayoutDirectory, _image.ManifestDigest));
        return manifest.RootElement.GetProperty("layers")[0].GetProperty("digest").GetString()!;
    }

    private static void AssertStoreHoldsNothing(string root)
    {
        var layers = Path.Combine(root, "layers", "sha256");
        Assert.True(!Directory.Exists(layers) || !Directory.EnumerateFileSystemEntries(layers).Any(), "a layer directory was left in the store");
        var tmp = Path.Combine(root, "tmp");
        Assert.True(!Directory.Exists(tmp) || !Directory.EnumerateFileSystemEntries(tmp).Any(), "a temporary directory was left in the store");
    }

    [Fact]
    public async Task ATamperedLayerFailsNamingItsDigestAndLeavesNothing()
    {
        var layer = LayerDigest();
        _registry.Storage.TamperBlob(layer);
        using var work = TempDirectory.Create("pull-tampered");
        var root = work.Combine("store");
        var bundle = work.Combine("bundle");

        var result = await GuestPullCli.RunAsync("pull", "--root", root, "--insecure-registry", _registry.Host, "--retries", "1", "--bundle", bundle, Reference);

        CliAssert.Failed(result, 1, layer);
        Assert.True(result.StandardError.Contains("digest mismatch", StringComparison.Ordinal), result.StandardError);
        Assert.False(Directory.Exists(bundle), "a bundle was created for a failed pull");
        AssertStoreHoldsNothing(root);
        var images = await GuestPullCli.RunAsync("images", "--root", root);
        CliAssert.Succeeded(images);
        Assert.DoesNotContain(Repo, images.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASecondPullOfCachedLayersDownloadsNoBlob()
    {
        using var work = TempDirectory.Create("pull-warm");
        var root = work.Combine("store");
        var first = await GuestPullCli.RunAsync("pull", "--root", root, "--insecure-registry", _registry.Host, Reference);
        CliAssert.Succeeded(first);
        Assert.Contains("1 layers downloaded", first.StandardOutput, StringComparison.Ordinal);
        await _registry.SyncAccessLogAsync(Timeout);
        var layerGets = await _registry.CountBlobGetsAsync(LayerDigest(), Timeout);
        Assert.Equal(1, layerGets);

        var second = await GuestPullCli.RunAsync("pull", "--root", root, "--insecure-registry", _registry.Host, "--bundle", work.Combine("bundle"), Reference);
        CliAssert.Succeeded(second);
        Assert.Contains("0 layers downloaded, 1 cached", second.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(1, await _registry.CountBlobGetsAsync(LayerDigest(), Timeout));
        CliAssert.Succeeded(await GuestPullCli.RunAsync("rm-bundle", work.Combine("bundle")));

        CliAssert.Succeeded(await GuestPullCli.RunAsync("rmi", "--root", root, Reference));
        var pruned = await GuestPullCli.RunAsync("prune", "--root", root);
        CliAssert.Succeeded(pruned);
        Assert.Contains("removed 1 layers", pruned.StandardOutput, StringComparison.Ordinal);
        AssertStoreHoldsNothing(root);
    }

    [Fact]
    public async Task AStoreOnAFullTmpfsFailsCleanlyAndStaysUsable()
    {
        using var work = TempDirectory.Create("pull-full");
        var root = work.CreateSubdirectory("store");
        Mounts.Mount("tmpfs", root, "tmpfs", 0, "size=512k,mode=0700");
        try
        {
            // A bound above the free space: the write itself runs out of room, and the error names the layer.
            var full = await GuestPullCli.RunAsync("pull", "--root", root, "--insecure-registry", _registry.Host, "--max-layer-size", "1G", Reference);
            CliAssert.Failed(full, 1, $"layer {LayerDigest()} of {Reference}", "No space left on device");
            AssertStoreHoldsNothing(root);

            Mounts.Mount("tmpfs", root, "tmpfs", Mounts.Remount, "size=64m,mode=0700");
            var retry = await GuestPullCli.RunAsync("pull", "--root", root, "--insecure-registry", _registry.Host, Reference);
            CliAssert.Succeeded(retry);
            Assert.Contains("1 layers downloaded", retry.StandardOutput, StringComparison.Ordinal);
        }
        finally
        {
            Mounts.Unmount(root, Mounts.UnmountDetach);
        }
    }
}
