namespace GuestPull.Cache.Store;

/// <summary>
/// Entries by key with their sizes, ordered by last use: what to evict first and how many bytes the
/// cache holds. Not thread-safe; the store guards it with its lock.
/// </summary>
/// <typeparam name="TKey">The entry key (a digest).</typeparam>
internal sealed class LruIndex<TKey>
    where TKey : notnull
{
    // Least recently used first.
    private readonly LinkedList<(TKey Key, long Size)> _order = new();
    private readonly Dictionary<TKey, LinkedListNode<(TKey Key, long Size)>> _nodes = new();

    /// <summary>The sum of all entries' sizes.</summary>
    public long TotalBytes { get; private set; }

    /// <summary>How many entries there are.</summary>
    public int Count => _nodes.Count;

    /// <summary>Whether <paramref name="key"/> is an entry.</summary>
    public bool Contains(TKey key) => _nodes.ContainsKey(key);

    /// <summary>Adds (or replaces) an entry as the most recently used.</summary>
    public void Add(TKey key, long size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        Remove(key);
        _nodes[key] = _order.AddLast((key, size));
        TotalBytes += size;
    }

    /// <summary>Adds an entry as older than every other (loading a store in last-use order, oldest last).</summary>
    public void AddOldest(TKey key, long size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        Remove(key);
        _nodes[key] = _order.AddFirst((key, size));
        TotalBytes += size;
    }

    /// <summary>Marks an entry as just used; false when it is not one.</summary>
    public bool Touch(TKey key)
    {
        if (!_nodes.TryGetValue(key, out var node))
        {
            return false;
        }

        _order.Remove(node);
        _order.AddLast(node);
        return true;
    }

    /// <summary>Removes an entry; false when it is not one.</summary>
    public bool Remove(TKey key)
    {
        if (!_nodes.Remove(key, out var node))
        {
            return false;
        }

        _order.Remove(node);
        TotalBytes -= node.Value.Size;
        return true;
    }

    /// <summary>Removes and returns least recently used entries until at most <paramref name="maxBytes"/> remain.</summary>
    public List<(TKey Key, long Size)> TrimTo(long maxBytes)
    {
        var evicted = new List<(TKey Key, long Size)>();
        while (TotalBytes > maxBytes && _order.First is { } oldest)
        {
            evicted.Add(oldest.Value);
            Remove(oldest.Value.Key);
        }

        return evicted;
    }
}
