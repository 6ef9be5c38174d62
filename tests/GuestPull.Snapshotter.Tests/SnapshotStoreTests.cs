using GuestPull.Snapshotter.Storage;
using GuestPull.Testing;

namespace GuestPull.Snapshotter.Tests;

public sealed class SnapshotStoreTests : IDisposable
{
    private static readonly Dictionary<string, string> NoLabels = [];
    private readonly TempDirectory _directory = TempDirectory.Create("snapshot-store");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Create_MakesDirectoriesAndRow_AndCommitKeepsId()
    {
        await using var store = await SnapshotStore.OpenAsync(_directory.Path, CancellationToken.None);
        var active = await store.CreateAsync(SnapshotKind.Active, "a", null, NoLabels, CancellationToken.None);
        Assert.True(Directory.Exists(store.Layout.FsDirectory(active.Id)));
        Assert.True(Directory.Exists(store.Layout.WorkDirectory(active.Id)));

        var committed = await store.CommitAsync("c", "a", new Dictionary<string, string> { ["x"] = "1" }, new SnapshotUsage(5, 2), CancellationToken.None);
        Assert.Equal(active.Id, committed.Id);
        Assert.Null(await store.FindAsync("a", CancellationToken.None));
        var stat = await store.GetAsync("c", CancellationToken.None);
        Assert.Equal(SnapshotKind.Committed, stat.Kind);
        Assert.Equal("1", stat.Labels["x"]);
        Assert.Equal(new SnapshotUsage(5, 2), stat.Usage);
    }

    [Fact]
    public async Task Create_RefusesDuplicateKey_UnknownParent_AndUncommittedParent()
    {
        await using var store = await SnapshotStore.OpenAsync(_directory.Path, CancellationToken.None);
        await store.CreateAsync(SnapshotKind.Active, "a", null, NoLabels, CancellationToken.None);

        var duplicate = await Assert.ThrowsAsync<SnapshotException>(() => store.CreateAsync(SnapshotKind.View, "a", null, NoLabels, CancellationToken.None));
        Assert.Equal(SnapshotErrorCode.AlreadyExists, duplicate.Code);
        var unknown = await Assert.ThrowsAsync<SnapshotException>(() => store.CreateAsync(SnapshotKind.Active, "b", "nope", NoLabels, CancellationToken.None));
        Assert.Equal(SnapshotErrorCode.NotFound, unknown.Code);
        Assert.Contains("nope", unknown.Message, StringComparison.Ordinal);
        var active = await Assert.ThrowsAsync<SnapshotException>(() => store.CreateAsync(SnapshotKind.Active, "b", "a", NoLabels, CancellationToken.None));
        Assert.Equal(SnapshotErrorCode.InvalidArgument, active.Code);
        // Refused creations leave no directory behind.
        Assert.Single(Directory.EnumerateDirectories(store.Layout.SnapshotsDirectory));
    }

    [Fact]
    public async Task Remove_RefusesParent_ThenDeletesRowAndDirectory()
    {
        await using var store = await SnapshotStore.OpenAsync(_directory.Path, CancellationToken.None);
        var baseLayer = await store.CreateAsync(SnapshotKind.Active, "k1", null, NoLabels, CancellationToken.None);
        await store.CommitAsync("base", "k1", NoLabels, SnapshotUsage.Zero, CancellationToken.None);
        var child = await store.CreateAsync(SnapshotKind.Active, "child", "base", NoLabels, CancellationToken.None);

        var refused = await Assert.ThrowsAsync<SnapshotException>(() => store.RemoveAsync("base", CancellationToken.None));
        Assert.Equal(SnapshotErrorCode.FailedPrecondition, refused.Code);

        await store.RemoveAsync("child", CancellationToken.None);
        Assert.False(Directory.Exists(store.Layout.SnapshotDirectory(child.Id)));
        await store.RemoveAsync("base", CancellationToken.None);
        Assert.False(Directory.Exists(store.Layout.SnapshotDirectory(baseLayer.Id)));
        Assert.Empty(await store.ListAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Commit_OfView_IsFailedPrecondition()
    {
        await using var store = await SnapshotStore.OpenAsync(_directory.Path, CancellationToken.None);
        await store.CreateAsync(SnapshotKind.View, "v", null, NoLabels, CancellationToken.None);
        var error = await Assert.ThrowsAsync<SnapshotException>(() => store.CommitAsync("c", "v", NoLabels, SnapshotUsage.Zero, CancellationToken.None));
        Assert.Equal(SnapshotErrorCode.FailedPrecondition, error.Code);
    }

    [Fact]
    public async Task Open_RemovesDirectoriesNoRowOwns_AndKeepsOwnedOnes()
    {
        long keptId;
        await using (var store = await SnapshotStore.OpenAsync(_directory.Path, CancellationToken.None))
        {
            keptId = (await store.CreateAsync(SnapshotKind.Active, "kept", null, NoLabels, CancellationToken.None)).Id;
            File.WriteAllText(Path.Combine(store.Layout.FsDirectory(keptId), "data"), "x");
        }
        // What a crash leaves: a directory created for a transaction that never committed, a
        // directory whose row was deleted, and a half-deleted trash entry.
        var snapshots = Path.Combine(_directory.Path, "snapshots");
        Directory.CreateDirectory(Path.Combine(snapshots, "9999", "fs"));
        Directory.CreateDirectory(Path.Combine(snapshots, (keptId + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), "work"));
        Directory.CreateDirectory(Path.Combine(snapshots, ".trash-old"));

        await using (var reopened = await SnapshotStore.OpenAsync(_directory.Path, CancellationToken.None))
        {
            Assert.Equal([keptId.ToString(System.Globalization.CultureInfo.InvariantCulture)], Directory.EnumerateFileSystemEntries(snapshots).Select(Path.GetFileName));
            Assert.Equal("x", File.ReadAllText(Path.Combine(reopened.Layout.FsDirectory(keptId), "data")));
            // The next id handed out does not collide with anything that existed.
            var next = await reopened.CreateAsync(SnapshotKind.Active, "next", null, NoLabels, CancellationToken.None);
            Assert.True(Directory.Exists(reopened.Layout.FsDirectory(next.Id)));
            Assert.Empty(Directory.EnumerateFileSystemEntries(reopened.Layout.FsDirectory(next.Id)));
        }
    }

    [Fact]
    public async Task Ids_AreNotReusedAfterRemove()
    {
        await using var store = await SnapshotStore.OpenAsync(_directory.Path, CancellationToken.None);
        var first = await store.CreateAsync(SnapshotKind.Active, "a", null, NoLabels, CancellationToken.None);
        await store.RemoveAsync("a", CancellationToken.None);
        var second = await store.CreateAsync(SnapshotKind.Active, "a", null, NoLabels, CancellationToken.None);
        Assert.True(second.Id > first.Id);
    }

    [Fact]
    public async Task Labels_SurviveReopen_AndUpdateReplacesThem()
    {
        await using (var store = await SnapshotStore.OpenAsync(_directory.Path, CancellationToken.None))
        {
            await store.CreateAsync(SnapshotKind.Active, "a", null, new Dictionary<string, string> { ["k"] = "v", ["q\"uote"] = "ü" }, CancellationToken.None);
            await store.UpdateLabelsAsync("a", record => new Dictionary<string, string>(record.Labels) { ["k"] = "w" }, CancellationToken.None);
        }
        await using var reopened = await SnapshotStore.OpenAsync(_directory.Path, CancellationToken.None);
        var record = await reopened.GetAsync("a", CancellationToken.None);
        Assert.Equal("w", record.Labels["k"]);
        Assert.Equal("ü", record.Labels["q\"uote"]);
    }
}
