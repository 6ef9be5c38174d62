using GuestPull.Oci.Model;

namespace GuestPull.Images.Store;

/// <summary>
/// Makes concurrent pulls of one layer share a single download. In this process, callers asking
/// for the same DiffID while a download runs await the same task (a finished or failed task is not
/// kept, so a later call starts afresh); across processes, the running task holds the lock file
/// <c>locks/&lt;hex&gt;.lock</c>, so a second process waits and should then find the layer committed.
/// </summary>
public sealed class LayerDownloadCoordinator
{
    private readonly string? _lockDirectory;
    private readonly Dictionary<Digest, Entry> _running = [];
    private readonly Lock _gate = new();

    /// <summary>Creates a coordinator.</summary>
    /// <param name="lockDirectory">Where the per-layer lock files live; null coordinates this process only.</param>
    public LayerDownloadCoordinator(string? lockDirectory)
    {
        _lockDirectory = lockDirectory;
    }

    /// <summary>How long to wait before trying a lock file held by another process again.</summary>
    public TimeSpan LockRetryDelay { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Runs <paramref name="factory"/> for <paramref name="diffId"/> unless a call for the same key is
    /// already running, in which case its result is awaited instead. The factory's token is cancelled
    /// only when every caller waiting for it has cancelled.
    /// </summary>
    /// <typeparam name="T">The result type; every concurrent caller for one key must use the same.</typeparam>
    /// <param name="diffId">The layer's DiffID.</param>
    /// <param name="factory">Downloads and commits the layer (it should first check whether the store already has it).</param>
    /// <param name="cancellationToken">Stops this caller's wait.</param>
    public async Task<T> RunOnceAsync<T>(Digest diffId, Func<CancellationToken, Task<T>> factory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(factory);
        if (diffId.IsEmpty)
        {
            throw new ArgumentException("the DiffID is empty", nameof(diffId));
        }

        Entry entry;
        Task<T> task;
        lock (_gate)
        {
            if (_running.TryGetValue(diffId, out var existing))
            {
                entry = existing;
                task = entry.Task as Task<T> ?? throw new InvalidOperationException(
                    $"a download of layer {diffId} with result type {entry.Task.GetType()} is running; it cannot be shared with one expecting {typeof(Task<T>)}");
            }
            else
            {
                entry = new Entry();
                _running.Add(diffId, entry);
                task = RunAsync(diffId, entry, factory);
                entry.Task = task;
            }

            entry.Waiters++;
        }

        try
        {
            return await task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            var abandon = false;
            lock (_gate)
            {
                entry.Waiters--;
                if (entry.Waiters == 0 && !entry.Completed)
                {
                    // Nobody wants the result any more; a later caller must not join a cancelled run.
                    abandon = true;
                    if (_running.TryGetValue(diffId, out var current) && current == entry)
                    {
                        _running.Remove(diffId);
                    }
                }
            }

            if (abandon)
            {
                await entry.Cancellation.CancelAsync().ConfigureAwait(false);
                // The last waiter leaves only once the cancelled download has cleaned up after itself (its
                // temporary layer directory): a process that exits on the error leaves nothing half-written.
                await entry.Task.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private async Task<T> RunAsync<T>(Digest diffId, Entry entry, Func<CancellationToken, Task<T>> factory)
    {
        // Leave the caller's critical section before the factory runs any of its code.
        await Task.Yield();
        var token = entry.Cancellation.Token;
        try
        {
            FileStream? fileLock = null;
            if (_lockDirectory is not null)
            {
                fileLock = await LayerFileLock.AcquireAsync(Path.Combine(_lockDirectory, diffId.Hex + ".lock"), LockRetryDelay, token).ConfigureAwait(false);
            }

            await using (fileLock)
            {
                return await factory(token).ConfigureAwait(false);
            }
        }
        finally
        {
            lock (_gate)
            {
                entry.Completed = true;
                if (_running.TryGetValue(diffId, out var current) && current == entry)
                {
                    _running.Remove(diffId);
                }

            }
        }
    }

    // The token source is not disposed: a late CancelAsync from an abandoning caller may still
    // reach it, and without timers it holds nothing that needs releasing.
    private sealed class Entry
    {
        public CancellationTokenSource Cancellation { get; } = new();

        public Task Task { get; set; } = Task.CompletedTask;

        public int Waiters { get; set; }

        public bool Completed { get; set; }
    }
}
