using System.Text.Json;
using GuestPull.IntegrationTests.Infrastructure;
using GuestPull.Testing;
using GuestPull.Testing.Traits;

namespace GuestPull.IntegrationTests.Pull;

/// <summary>
/// A gzip bomb (64 MiB of zeros, a few dozen KiB compressed) against a store on a 16 MiB tmpfs: by
/// default a layer is bounded by the store's free space when it starts, and the error names the layer
/// and the bound; <c>--max-layer-size</c> replaces that bound; running out of space names the layer
/// as well as the entry. Every failure leaves the store empty.
/// </summary>
[Trait(Requires.Trait, Requires.Components)]
public sealed class LayerSizeBoundTests : IClassFixture<BusyboxImageFixture>, IAsyncLifetime
{
    private const string Repo = "bomb/app:1";
    private readonly BusyboxImageFixture _image;
    private readonly TempDirectory _work = TempDirectory.Create("layer-bound");
    private RegistryInstance _registry = null!;
    private string _bombDigest = string.Empty;

    public LayerSizeBoundTests(BusyboxImageFixture image) => _image = image;

    private static CancellationToken Timeout => new CancellationTokenSource(TimeSpan.FromMinutes(4)).Token;

    private string Reference => _registry.Host + "/" + Repo;

    public async Task InitializeAsync()
    {
        _registry = await RegistryInstance.StartAsync(new RegistryOptions { Name = "bomb" }, Timeout);
        var layout = _image.CopyLayoutTo(_work.Combine("layout"));
        var bomb = new TarBuilder().Directory("data/").File("data/zeros", new byte[64 << 20]).End().ToArray();
        await ImageBuilder.AddRawLayerAsync(layout, BusyboxImageFixture.Tag, bomb, Timeout);
        await ImageBuilder.PushAsync(layout, BusyboxImageFixture.Tag, _registry, Repo, new PushOptions { PreserveDigests = true }, Timeout);
        using var manifest = JsonDocument.Parse(ImageBuilder.ReadBlob(layout, ImageBuilder.GetDigest(layout, BusyboxImageFixture.Tag)));
        var layer = manifest.RootElement.GetProperty("layers")[1];
        _bombDigest = layer.GetProperty("digest").GetString()!;
        Assert.True(layer.GetProperty("size").GetInt64() < 1 << 20, "the bomb layer should compress to well under 1 MiB");
    }

    public async Task DisposeAsync()
    {
        await _registry.DisposeAsync();
        _work.Dispose();
    }

    [Fact]
    public async Task ByDefaultALayerIsBoundedByTheStoresFreeSpace()
    {
        var store = await MountTmpfsAsync("default");
        try
        {
            // One layer at a time: the bound is the space left when the layer starts, which a layer
            // written alongside would shrink.
            var result = await GuestPullCli.RunAsync("pull", "--root", store, "--insecure-registry", _registry.Host, "--max-concurrent-downloads", "1", Reference);

            CliAssert.Failed(result, 1, _bombDigest, "the free space of the layer store's file system");
            Assert.Matches(@"exceeds 1[0-9]{7} bytes", result.StandardError);
            AssertNoLayerLeft(store);
        }
        finally
        {
            await UnmountAsync(store);
        }
    }

    [Fact]
    public async Task MaxLayerSizeReplacesTheDefaultBound()
    {
        var store = _work.Combine("store-explicit");
        var result = await GuestPullCli.RunAsync("pull", "--root", store, "--insecure-registry", _registry.Host, "--max-layer-size", "4M", Reference);

        CliAssert.Failed(result, 1, _bombDigest, "exceeds 4194304 bytes (the configured maximum layer size)");
        AssertNoLayerLeft(store);
    }

    [Fact]
    public async Task RunningOutOfSpaceNamesTheLayerAndTheEntry()
    {
        var store = await MountTmpfsAsync("enospc");
        try
        {
            var result = await GuestPullCli.RunAsync("pull", "--root", store, "--insecure-registry", _registry.Host, "--max-layer-size", "1G", "--max-concurrent-downloads", "1", Reference);

            CliAssert.Failed(result, 1, $"layer {_bombDigest} of {Reference}", "data/zeros", "ENOSPC");
            AssertNoLayerLeft(store);
        }
        finally
        {
            await UnmountAsync(store);
        }
    }

    private static void AssertNoLayerLeft(string store)
    {
        var tmp = Path.Combine(store, "tmp");
        Assert.True(!Directory.Exists(tmp) || !Directory.EnumerateFileSystemEntries(tmp).Any(), "a temporary layer directory was left in the store");
    }

    private async Task<string> MountTmpfsAsync(string name)
    {
        var path = _work.CreateSubdirectory("tmpfs-" + name);
        await ProcessRunner.RunAsync("mount", ["-t", "tmpfs", "-o", "size=16m,mode=0700", "tmpfs", path], Timeout);
        return path;
    }

    private static Task UnmountAsync(string path)
        => ProcessRunner.RunAsync("umount", ["-l", path], new ProcessRunOptions { ThrowOnFailure = false }, Timeout);
}
