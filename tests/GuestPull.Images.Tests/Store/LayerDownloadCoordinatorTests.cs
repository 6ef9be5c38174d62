using GuestPull.Images.Store;
using GuestPull.Testing;

namespace GuestPull.Images.Tests.Store;

public sealed class LayerDownloadCoordinatorTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _temp = TempDirectory.Create("coordinator");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task ConcurrentCallersForOneLayerShareOneRun()
    {
        var coordinator = new LayerDownloadCoordinator(_temp.Path);
        var diffId = LayerStoreTests.DiffId("layer");
        var runs = 0;
        var release = new TaskCompletionSource();
        async Task<string> Factory(CancellationToken token)
        {
            Interlocked.Increment(ref runs);
            await release.Task.WaitAsync(token);
            return "done";
        }

        var joined = 0;
        var callers = Enumerable.Range(0, 16).Select(_ => Task.Run(() =>
        {
            // RunOnceAsync has registered the caller by the time it returns its task.
            var task = coordinator.RunOnceAsync(diffId, Factory);
            Interlocked.Increment(ref joined);
            return task;
        })).ToList();
        while (Volatile.Read(ref joined) < callers.Count)
        {
            await Task.Delay(10);
        }

        release.SetResult();
        var results = await Task.WhenAll(callers).WaitAsync(Patience);

        Assert.All(results, r => Assert.Equal("done", r));
        Assert.Equal(1, runs);
    }

    [Fact]
    public async Task DifferentLayersRunSeparately()
    {
        var coordinator = new LayerDownloadCoordinator(_temp.Path);
        var a = coordinator.RunOnceAsync(LayerStoreTests.DiffId("a"), _ => Task.FromResult("a"));
        var b = coordinator.RunOnceAsync(LayerStoreTests.DiffId("b"), _ => Task.FromResult("b"));

        Assert.Equal(["a", "b"], await Task.WhenAll(a, b).WaitAsync(Patience));
    }

    [Fact]
    public async Task AFailedRunIsNotCached()
    {
        var coordinator = new LayerDownloadCoordinator(_temp.Path);
        var diffId = LayerStoreTests.DiffId("flaky");
        var error = await Assert.ThrowsAsync<IOException>(() => coordinator.RunOnceAsync<int>(diffId, _ => throw new IOException("registry went away")));
        Assert.Equal("registry went away", error.Message);

        Assert.Equal(42, await coordinator.RunOnceAsync(diffId, _ => Task.FromResult(42)).WaitAsync(Patience));
    }

    [Fact]
    public async Task TheRunIsCancelledOnlyWhenEveryCallerHasGivenUp()
    {
        var coordinator = new LayerDownloadCoordinator(_temp.Path);
        var diffId = LayerStoreTests.DiffId("slow");
        var started = new TaskCompletionSource();
        var observedCancellation = new TaskCompletionSource();
        async Task<int> Factory(CancellationToken token)
        {
            started.TrySetResult();
            using var registration = token.Register(() => observedCancellation.TrySetResult());
            await Task.Delay(Timeout.Infinite, token);
            return 0;
        }

        using var firstGivesUp = new CancellationTokenSource();
        using var secondGivesUp = new CancellationTokenSource();
        var first = coordinator.RunOnceAsync(diffId, Factory, firstGivesUp.Token);
        var second = coordinator.RunOnceAsync(diffId, Factory, secondGivesUp.Token);
        await started.Task.WaitAsync(Patience);

        await firstGivesUp.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        Assert.False(observedCancellation.Task.IsCompleted);

        await secondGivesUp.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => second);
        await observedCancellation.Task.WaitAsync(Patience);
    }

    [Fact]
    public async Task TwoCoordinatorsOnOneLockDirectoryNeverRunALayerAtTheSameTime()
    {
        // Two coordinators stand in for two processes: each lock file open is its own flock.
        var first = new LayerDownloadCoordinator(_temp.Path);
        var second = new LayerDownloadCoordinator(_temp.Path);
        var diffId = LayerStoreTests.DiffId("contended");
        var releaseFirst = new TaskCompletionSource();
        var firstStarted = new TaskCompletionSource();
        var secondStarted = new TaskCompletionSource();

        var one = first.RunOnceAsync(diffId, async _ =>
        {
            firstStarted.SetResult();
            await releaseFirst.Task;
            return 1;
        });
        await firstStarted.Task.WaitAsync(Patience);
        var two = second.RunOnceAsync(diffId, _ =>
        {
            secondStarted.SetResult();
            return Task.FromResult(2);
        });

        // However long we wait, the second cannot start while the first holds the lock.
        await Task.Delay(300);
        Assert.False(secondStarted.Task.IsCompleted);

        releaseFirst.SetResult();
        Assert.Equal(1, await one.WaitAsync(Patience));
        Assert.Equal(2, await two.WaitAsync(Patience));
        Assert.True(File.Exists(Path.Combine(_temp.Path, diffId.Hex + ".lock")));
    }
}
