using System.Collections.Concurrent;
using GuestPull.Snapshotter.Storage;

namespace GuestPull.Snapshotter.Service;

/// <summary>
/// Usage of active snapshots, measured once and then refreshed in the background when older than
/// the refresh interval: CRI asks for every active snapshot's usage every 10 s, and walking a
/// container's upperdir on each call would be the snapshotter's main cost.
/// </summary>
internal sealed class UsageCache(SnapshotLayout layout, TimeSpan refreshAfter, TimeProvider time)
{
    private readonly ConcurrentDictionary<long, Entry> _entries = new();

    public async Task<SnapshotUsage> GetAsync(long id, CancellationToken cancellationToken)
    {
        if (_entries.TryGetValue(id, out var entry))
        {
            if (time.GetUtcNow() - entry.Measured > refreshAfter && entry.Refreshing is null)
            {
                var refresh = new Entry(entry.Usage, entry.Measured, Task.Run(() => Refresh(id), CancellationToken.None));
                _entries.TryUpdate(id, refresh, entry);
            }
            return entry.Usage;
        }
        var usage = await Task.Run(() => DiskUsage.Measure(layout.FsDirectory(id), cancellationToken), cancellationToken).ConfigureAwait(false);
        _entries[id] = new Entry(usage, time.GetUtcNow(), null);
        return usage;
    }

    public void Forget(long id) => _entries.TryRemove(id, out _);

    private void Refresh(long id)
    {
        try
        {
            var usage = DiskUsage.Measure(layout.FsDirectory(id), CancellationToken.None);
            if (_entries.ContainsKey(id))
            {
                _entries[id] = new Entry(usage, time.GetUtcNow(), null);
            }
        }
        catch (IOException)
        {
            _entries.TryRemove(id, out _);
        }
    }

    private sealed record Entry(SnapshotUsage Usage, DateTimeOffset Measured, Task? Refreshing);
}
