using GuestPull.Images.Store;
using GuestPull.Oci.Model;
using GuestPull.Testing;
using Microsoft.Data.Sqlite;

namespace GuestPull.Images.Tests.Store;

public sealed class LayerStoreTests : IDisposable
{
    private const string LayerMediaType = "application/vnd.oci.image.layer.v1.tar+gzip";
    private readonly TempDirectory _temp = TempDirectory.Create("store");

    private string Root => _temp.Combine("root");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task OpenCreatesPrivateLayout()
    {
        await using var store = await LayerStore.OpenAsync(Root);

        foreach (var path in new[] { Root, Path.Combine(Root, "layers", "sha256"), Path.Combine(Root, "tmp"), Path.Combine(Root, "locks") })
        {
            Assert.True(Directory.Exists(path), path);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(path));
        }

        Assert.True(File.Exists(Path.Combine(Root, "metadata.db")));
        await using var db = new SqliteConnection($"Data Source={Path.Combine(Root, "metadata.db")};Pooling=False");
        await db.OpenAsync();
        using var command = db.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", (string?)await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task CommitMovesTheDirectoryAndRecordsTheLayer()
    {
        await using var store = await LayerStore.OpenAsync(Root);
        var diffId = DiffId("a");
        var compressed = DiffId("a-compressed");
        var temp = FilledTempLayer(store, "a");

        Assert.False(await store.HasLayerAsync(diffId));
        Assert.True(await store.CommitLayerAsync(temp, diffId, compressed, LayerMediaType, 1234));

        Assert.True(await store.HasLayerAsync(diffId));
        Assert.False(Directory.Exists(temp));
        Assert.Equal(Path.Combine(Root, "layers", "sha256", diffId.Hex), store.LayerPath(diffId));
        Assert.Equal("a", await File.ReadAllTextAsync(Path.Combine(store.LayerPath(diffId), "content")));
        var layer = await store.GetLayerAsync(diffId);
        Assert.NotNull(layer);
        Assert.Equal(compressed, layer.CompressedDigest);
        Assert.Equal(LayerMediaType, layer.MediaType);
        Assert.Equal(1234, layer.UnpackedSize);
    }

    [Fact]
    public async Task CommittingALayerTwiceKeepsTheFirstAndDeletesTheSecondTempDirectory()
    {
        await using var store = await LayerStore.OpenAsync(Root);
        var diffId = DiffId("a");
        Assert.True(await store.CommitLayerAsync(FilledTempLayer(store, "first"), diffId, null, LayerMediaType, 1));

        var second = FilledTempLayer(store, "second");
        Assert.False(await store.CommitLayerAsync(second, diffId, null, LayerMediaType, 1));

        Assert.False(Directory.Exists(second));
        Assert.Equal("first", await File.ReadAllTextAsync(Path.Combine(store.LayerPath(diffId), "content")));
        Assert.Single(await store.ListLayersAsync());
    }

    [Fact]
    public async Task AbortDeletesTheTempDirectoryAndRefusesOtherPaths()
    {
        await using var store = await LayerStore.OpenAsync(Root);
        var temp = FilledTempLayer(store, "x");
        store.AbortLayer(temp);
        Assert.False(Directory.Exists(temp));

        var outside = _temp.CreateSubdirectory("outside");
        var error = Assert.Throws<ArgumentException>(() => store.AbortLayer(outside));
        Assert.Contains("not a temporary layer directory", error.Message, StringComparison.Ordinal);
        Assert.True(Directory.Exists(outside));
    }

    [Fact]
    public async Task RecordGetListAndRemoveImages()
    {
        await using var store = await LayerStore.OpenAsync(Root);
        var base1 = await CommitAsync(store, "base");
        var top = await CommitAsync(store, "top");
        var image = Image("registry.test/app:1", base1, top);

        await store.RecordImageAsync(image);
        await store.RecordImageAsync(Image("registry.test/other:1", base1));

        var found = await store.GetImageAsync("registry.test/app:1");
        Assert.NotNull(found);
        Assert.Equal([base1, top], found.DiffIds);
        Assert.Equal(image.ManifestDigest, found.ManifestDigest);
        Assert.Equal(image.IndexDigest, found.IndexDigest);
        Assert.Equal(image.ConfigJson, found.ConfigJson);
        Assert.Equal("linux/amd64", found.Platform);
        Assert.Equal(["registry.test/app:1", "registry.test/other:1"], (await store.ListImagesAsync()).Select(i => i.Reference));

        Assert.True(await store.RemoveImageAsync("registry.test/app:1"));
        Assert.False(await store.RemoveImageAsync("registry.test/app:1"));
        Assert.Null(await store.GetImageAsync("registry.test/app:1"));
        Assert.True(await store.HasLayerAsync(top));
        Assert.True(Directory.Exists(store.LayerPath(top)));
    }

    [Fact]
    public async Task RecordingAnImageAgainReplacesItsLayers()
    {
        await using var store = await LayerStore.OpenAsync(Root);
        var old = await CommitAsync(store, "old");
        var fresh = await CommitAsync(store, "new");
        await store.RecordImageAsync(Image("registry.test/app:latest", old));
        await store.RecordImageAsync(Image("registry.test/app:latest", fresh));

        Assert.Equal([fresh], (await store.GetImageAsync("registry.test/app:latest"))!.DiffIds);
        Assert.Equal([old], (await store.PruneAsync()).RemovedLayers);
    }

    [Fact]
    public async Task RecordingAnImageWithAMissingLayerFailsNamingIt()
    {
        await using var store = await LayerStore.OpenAsync(Root);
        var present = await CommitAsync(store, "present");
        var missing = DiffId("missing");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => store.RecordImageAsync(Image("registry.test/app:1", present, missing)));

        Assert.Contains(missing.ToString(), error.Message, StringComparison.Ordinal);
        Assert.Null(await store.GetImageAsync("registry.test/app:1"));
    }

    [Fact]
    public async Task PruneDeletesOnlyUnreferencedLayers()
    {
        await using var store = await LayerStore.OpenAsync(Root);
        var shared = await CommitAsync(store, "shared");
        var onlyA = await CommitAsync(store, "only-a");
        var orphan = await CommitAsync(store, "orphan");
        await store.RecordImageAsync(Image("registry.test/a:1", shared, onlyA));
        await store.RecordImageAsync(Image("registry.test/b:1", shared));

        var first = await store.PruneAsync();
        Assert.Equal([orphan], first.RemovedLayers);
        Assert.Equal("orphan".Length, first.UnpackedBytes);
        Assert.False(Directory.Exists(store.LayerPath(orphan)));

        await store.RemoveImageAsync("registry.test/a:1");
        Assert.Equal([onlyA], (await store.PruneAsync()).RemovedLayers);
        Assert.True(await store.HasLayerAsync(shared));
        Assert.True(Directory.Exists(store.LayerPath(shared)));

        await store.RemoveImageAsync("registry.test/b:1");
        Assert.Equal([shared], (await store.PruneAsync()).RemovedLayers);
        Assert.Empty(await store.ListLayersAsync());
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(Root, "layers", "sha256")));
    }

    [Fact]
    public async Task PruneSkipsALayerWhoseDownloadLockIsHeld()
    {
        await using var store = await LayerStore.OpenAsync(Root);
        var busy = await CommitAsync(store, "busy");
        var release = new TaskCompletionSource();
        var started = new TaskCompletionSource();
        var holder = store.Downloads.RunOnceAsync(busy, async _ =>
        {
            started.SetResult();
            await release.Task;
            return 0;
        });
        await started.Task.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Empty((await store.PruneAsync()).RemovedLayers);
        release.SetResult();
        await holder;
        Assert.Equal([busy], (await store.PruneAsync()).RemovedLayers);
    }

    [Fact]
    public async Task RepairDeletesLeftoverTempDirectories()
    {
        string leftover;
        await using (var store = await LayerStore.OpenAsync(Root))
        {
            leftover = FilledTempLayer(store, "half-unpacked");
        }

        await using var reopened = await LayerStore.OpenAsync(Root);
        Assert.False(Directory.Exists(leftover));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(Root, "tmp")));
    }

    [Fact]
    public async Task RepairDeletesALayerDirectoryWithoutARow()
    {
        // A crash between the rename into layers/ and the row insert, or during prune after the row went.
        var diffId = DiffId("crashed");
        Digest kept;
        await using (var store = await LayerStore.OpenAsync(Root))
        {
            kept = await CommitAsync(store, "kept");
            await store.RecordImageAsync(Image("registry.test/kept:1", kept));
        }

        var orphan = Path.Combine(Root, "layers", "sha256", diffId.Hex);
        Directory.CreateDirectory(Path.Combine(orphan, "usr"));
        var junk = Path.Combine(Root, "layers", "sha256", "not-a-digest");
        Directory.CreateDirectory(junk);

        await using var reopened = await LayerStore.OpenAsync(Root);
        Assert.False(Directory.Exists(orphan));
        Assert.False(Directory.Exists(junk));
        Assert.True(Directory.Exists(reopened.LayerPath(kept)));
        Assert.NotNull(await reopened.GetImageAsync("registry.test/kept:1"));
    }

    [Fact]
    public async Task RepairDeletesARowWithoutADirectoryAndTheImagesUsingIt()
    {
        Digest lost;
        Digest intact;
        await using (var store = await LayerStore.OpenAsync(Root))
        {
            lost = await CommitAsync(store, "lost");
            intact = await CommitAsync(store, "intact");
            await store.RecordImageAsync(Image("registry.test/broken:1", intact, lost));
            await store.RecordImageAsync(Image("registry.test/fine:1", intact));
            Directory.Delete(store.LayerPath(lost), recursive: true);
        }

        await using var reopened = await LayerStore.OpenAsync(Root);
        Assert.False(await reopened.HasLayerAsync(lost));
        Assert.Null(await reopened.GetImageAsync("registry.test/broken:1"));
        Assert.NotNull(await reopened.GetImageAsync("registry.test/fine:1"));
        Assert.True(await reopened.HasLayerAsync(intact));
    }

    [Fact]
    public async Task OpeningWhileAnotherInstanceIsOpenKeepsItsWorkInProgress()
    {
        await using var first = await LayerStore.OpenAsync(Root);
        var inProgress = FilledTempLayer(first, "downloading");

        await using (var second = await LayerStore.OpenAsync(Root))
        {
            Assert.True(Directory.Exists(inProgress));
            var diffId = DiffId("downloading");
            Assert.True(await first.CommitLayerAsync(inProgress, diffId, null, LayerMediaType, 1));
            Assert.True(await second.HasLayerAsync(diffId));
        }

        // With the other instance gone, the next open is alone and repairs fully again.
        var leftover = FilledTempLayer(first, "left");
        await first.DisposeAsync();
        await using var third = await LayerStore.OpenAsync(Root);
        Assert.False(Directory.Exists(leftover));
    }

    [Fact]
    public async Task CommitRefusesADirectoryOutsideTmp()
    {
        await using var store = await LayerStore.OpenAsync(Root);
        var outside = _temp.CreateSubdirectory("elsewhere");

        var error = await Assert.ThrowsAsync<ArgumentException>(() => store.CommitLayerAsync(outside, DiffId("x"), null, LayerMediaType, 0));

        Assert.Contains("not a temporary layer directory", error.Message, StringComparison.Ordinal);
        Assert.True(Directory.Exists(outside));
    }

    internal static Digest DiffId(string seed) => Digest.ComputeSha256(System.Text.Encoding.UTF8.GetBytes(seed));

    private static string FilledTempLayer(LayerStore store, string content)
    {
        var temp = store.CreateTempLayerDirectory();
        File.WriteAllText(Path.Combine(temp, "content"), content);
        Directory.CreateDirectory(Path.Combine(temp, "etc"));
        File.CreateSymbolicLink(Path.Combine(temp, "etc", "escape"), "/");
        return temp;
    }

    private static async Task<Digest> CommitAsync(LayerStore store, string content)
    {
        var diffId = DiffId(content);
        await store.CommitLayerAsync(FilledTempLayer(store, content), diffId, null, LayerMediaType, content.Length);
        return diffId;
    }

    private static ImageRecord Image(string reference, params Digest[] layers) => new()
    {
        Reference = reference,
        ManifestDigest = DiffId("manifest " + reference),
        IndexDigest = DiffId("index " + reference),
        ConfigDigest = DiffId("config " + reference),
        Platform = "linux/amd64",
        ConfigJson = "{\"architecture\":\"amd64\"}",
        DiffIds = layers,
    };
}
