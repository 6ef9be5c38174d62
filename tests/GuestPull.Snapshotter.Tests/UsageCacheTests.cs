using GuestPull.Snapshotter.Service;
using GuestPull.Snapshotter.Storage;
using GuestPull.Testing;

namespace GuestPull.Snapshotter.Tests;

public sealed class UsageCacheTests : IDisposable
{
    private readonly TempDirectory _directory = TempDirectory.Create("usage-cache");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task ServesTheCachedValue_ThenRefreshesInTheBackgroundOnceStale()
    {
        var layout = new SnapshotLayout(_directory.Path);
        var fs = Directory.CreateDirectory(layout.FsDirectory(1)).FullName;
        await File.WriteAllBytesAsync(Path.Combine(fs, "a"), new byte[10]);
        var time = new ManualTime();
        var cache = new UsageCache(layout, TimeSpan.FromSeconds(30), time);

        Assert.Equal(new SnapshotUsage(10, 2), await cache.GetAsync(1, CancellationToken.None));
        await File.WriteAllBytesAsync(Path.Combine(fs, "b"), new byte[20]);
        Assert.Equal(10, (await cache.GetAsync(1, CancellationToken.None)).Size);

        time.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal(10, (await cache.GetAsync(1, CancellationToken.None)).Size);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        SnapshotUsage usage;
        while ((usage = await cache.GetAsync(1, CancellationToken.None)).Size != 30 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }
        Assert.Equal(new SnapshotUsage(30, 3), usage);
    }

    [Fact]
    public async Task Forget_DropsTheEntry()
    {
        var layout = new SnapshotLayout(_directory.Path);
        var fs = Directory.CreateDirectory(layout.FsDirectory(7)).FullName;
        var cache = new UsageCache(layout, TimeSpan.FromSeconds(30), new ManualTime());
        Assert.Equal(0, (await cache.GetAsync(7, CancellationToken.None)).Size);
        await File.WriteAllBytesAsync(Path.Combine(fs, "a"), new byte[5]);
        cache.Forget(7);
        Assert.Equal(5, (await cache.GetAsync(7, CancellationToken.None)).Size);
    }

    private sealed class ManualTime : TimeProvider
    {
        private DateTimeOffset _now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

        public void Advance(TimeSpan by) => _now += by;

        public override DateTimeOffset GetUtcNow() => _now;
    }
}
