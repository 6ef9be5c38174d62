using GuestPull.Cache.Store;

namespace GuestPull.Cache.Tests;

public sealed class LruIndexTests
{
    [Fact]
    public void TrimEvictsTheLeastRecentlyUsedFirstUntilUnderTheLimit()
    {
        var index = new LruIndex<string>();
        index.Add("a", 40);
        index.Add("b", 30);
        index.Add("c", 20);
        Assert.True(index.Touch("a"));

        var evicted = index.TrimTo(60);

        Assert.Equal(["b"], evicted.Select(e => e.Key));
        Assert.Equal(60, index.TotalBytes);
        Assert.True(index.Contains("a"));
        Assert.True(index.Contains("c"));
    }

    [Fact]
    public void AnEntryLargerThanTheLimitIsEvictedToo()
    {
        var index = new LruIndex<string>();
        index.Add("small", 5);
        index.Add("huge", 500);

        var evicted = index.TrimTo(100);

        Assert.Equal(["small", "huge"], evicted.Select(e => e.Key));
        Assert.Equal(0, index.TotalBytes);
        Assert.Equal(0, index.Count);
    }

    [Fact]
    public void AddingAgainReplacesTheSizeAndRemoveForgets()
    {
        var index = new LruIndex<string>();
        index.Add("a", 10);
        index.Add("a", 25);
        Assert.Equal(25, index.TotalBytes);
        Assert.Equal(1, index.Count);
        Assert.True(index.Remove("a"));
        Assert.False(index.Remove("a"));
        Assert.False(index.Touch("a"));
        Assert.Equal(0, index.TotalBytes);
    }

    [Fact]
    public void AddOldestGoesBeforeEveryOtherEntry()
    {
        var index = new LruIndex<string>();
        index.Add("new", 10);
        index.AddOldest("old", 10);

        Assert.Equal(["old"], index.TrimTo(10).Select(e => e.Key));
    }
}
