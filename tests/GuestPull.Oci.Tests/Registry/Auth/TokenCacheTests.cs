using GuestPull.Oci.Registry.Auth;

namespace GuestPull.Oci.Tests.Registry.Auth;

public sealed class TokenCacheTests
{
    private static readonly DateTimeOffset Start = new(2024, 5, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly RegistryCredential Alice = new("alice", "pw1");

    private static TokenCacheKey Key(RegistryCredential? credential = null, params string[] scopes) =>
        new("https://auth.example/token", "registry.example", scopes.Length == 0 ? ["repository:app:pull"] : scopes, credential);

    [Fact]
    public void StoredTokenIsReturnedUntilTheSafetyMarginBeforeExpiry()
    {
        var clock = new ManualTimeProvider(Start);
        var cache = new TokenCache(clock);
        cache.Set(Key(), new BearerToken("tok", Start.AddSeconds(60)));

        Assert.True(cache.TryGet(Key(), out var token));
        Assert.Equal("tok", token);

        clock.Advance(TimeSpan.FromSeconds(49));
        Assert.True(cache.TryGet(Key(), out _));

        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.False(cache.TryGet(Key(), out token));
        Assert.Null(token);
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void SafetyMarginIsConfigurable()
    {
        var clock = new ManualTimeProvider(Start);
        var cache = new TokenCache(clock, TimeSpan.Zero);
        cache.Set(Key(), new BearerToken("tok", Start.AddSeconds(60)));

        clock.Advance(TimeSpan.FromSeconds(59));

        Assert.True(cache.TryGet(Key(), out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TokenCache(clock, TimeSpan.FromSeconds(-1)));
    }

    [Fact]
    public void AnonymousAndAuthenticatedTokensNeverMix()
    {
        var cache = new TokenCache(new ManualTimeProvider(Start));
        cache.Set(Key(), new BearerToken("anonymous", Start.AddHours(1)));
        cache.Set(Key(Alice), new BearerToken("alice", Start.AddHours(1)));

        Assert.True(cache.TryGet(Key(), out var anonymous));
        Assert.True(cache.TryGet(Key(new RegistryCredential("alice", "pw1")), out var alice));
        Assert.False(cache.TryGet(Key(new RegistryCredential("alice", "other")), out _));
        Assert.False(cache.TryGet(Key(new RegistryCredential("alice", "pw1", "idtoken")), out _));
        Assert.False(cache.TryGet(Key(new RegistryCredential("bob", "pw1")), out _));
        Assert.Equal("anonymous", anonymous);
        Assert.Equal("alice", alice);
    }

    [Fact]
    public void KeysDifferByRealmServiceAndScopes()
    {
        var key = Key();

        Assert.NotEqual(key, new TokenCacheKey("https://other/token", "registry.example", ["repository:app:pull"], null));
        Assert.NotEqual(key, new TokenCacheKey("https://auth.example/token", null, ["repository:app:pull"], null));
        Assert.NotEqual(key, Key(null, "repository:app:pull,push"));
    }

    [Fact]
    public void ScopesCompareAsASet()
    {
        var a = Key(null, "repository:b:pull repository:a:pull", "repository:a:pull");
        var b = Key(null, "repository:a:pull", " repository:b:pull ");

        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.Equal("repository:a:pull repository:b:pull", a.Scopes);
    }

    [Fact]
    public void KeyDoesNotRevealSecrets()
    {
        var key = Key(new RegistryCredential("alice", "hunter2", "refresh-tok"));

        Assert.DoesNotContain("hunter2", key.ToString());
        Assert.DoesNotContain("refresh-tok", key.ToString());
        Assert.Contains("alice", key.Identity);
        Assert.Equal("anonymous", Key().Identity);
    }

    [Fact]
    public void InvalidateForgetsTheToken()
    {
        var cache = new TokenCache(new ManualTimeProvider(Start));
        cache.Set(Key(), new BearerToken("tok", Start.AddHours(1)));

        cache.Invalidate(Key());
        cache.Invalidate(Key(Alice));

        Assert.False(cache.TryGet(Key(), out _));
    }

    [Fact]
    public void SetReplacesAnEarlierToken()
    {
        var cache = new TokenCache(new ManualTimeProvider(Start));
        cache.Set(Key(), new BearerToken("old", Start.AddHours(1)));
        cache.Set(Key(), new BearerToken("new", Start.AddHours(1)));

        Assert.True(cache.TryGet(Key(), out var token));
        Assert.Equal("new", token);
    }

    [Fact]
    public void ExpiredEntriesAreSweptWhenTheCacheGrows()
    {
        var clock = new ManualTimeProvider(Start);
        var cache = new TokenCache(clock);
        for (var i = 0; i < 1000; i++)
        {
            cache.Set(Key(null, $"repository:r{i}:pull"), new BearerToken("t", Start.AddMinutes(1)));
        }

        clock.Advance(TimeSpan.FromMinutes(5));
        for (var i = 0; i < 100; i++)
        {
            cache.Set(Key(null, $"repository:fresh{i}:pull"), new BearerToken("t", clock.GetUtcNow().AddMinutes(5)));
        }

        Assert.InRange(cache.Count, 100, 1024);
        Assert.True(cache.TryGet(Key(null, "repository:fresh0:pull"), out _));
    }

    [Fact]
    public void ConcurrentUseKeepsEveryToken()
    {
        var cache = new TokenCache(new ManualTimeProvider(Start));

        Parallel.For(0, 500, i =>
        {
            var key = Key(null, $"repository:r{i}:pull");
            cache.Set(key, new BearerToken($"t{i}", Start.AddHours(1)));
            Assert.True(cache.TryGet(key, out var token));
            Assert.Equal($"t{i}", token);
        });

        Assert.Equal(500, cache.Count);
    }
}
