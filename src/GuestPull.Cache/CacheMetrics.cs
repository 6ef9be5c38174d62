using System.Globalization;
using System.Text;

namespace GuestPull.Cache;

/// <summary>The cache's counters, rendered in the Prometheus text exposition format.</summary>
public sealed class CacheMetrics
{
    private long _hits;
    private long _misses;
    private long _coalesced;
    private long _upstreamFetches;
    private long _servedBytes;
    private long _upstreamBytes;
    private long _evictions;
    private long _corruptEntries;
    private long _refused;

    /// <summary>Blob and manifest requests answered from a verified entry.</summary>
    public long Hits => Interlocked.Read(ref _hits);

    /// <summary>Blob and manifest requests that found no entry.</summary>
    public long Misses => Interlocked.Read(ref _misses);

    /// <summary>Misses that joined a fetch already under way instead of starting one.</summary>
    public long Coalesced => Interlocked.Read(ref _coalesced);

    /// <summary>Fetches started at an upstream registry.</summary>
    public long UpstreamFetches => Interlocked.Read(ref _upstreamFetches);

    /// <summary>Body bytes sent to clients.</summary>
    public long ServedBytes => Interlocked.Read(ref _servedBytes);

    /// <summary>Body bytes received from upstream registries.</summary>
    public long UpstreamBytes => Interlocked.Read(ref _upstreamBytes);

    /// <summary>Entries evicted to stay under the size limit.</summary>
    public long Evictions => Interlocked.Read(ref _evictions);

    /// <summary>Entries found altered on disk while being served, and dropped.</summary>
    public long CorruptEntries => Interlocked.Read(ref _corruptEntries);

    /// <summary>Requests refused (tags, unsupported endpoints, malformed names).</summary>
    public long Refused => Interlocked.Read(ref _refused);

    internal void Hit() => Interlocked.Increment(ref _hits);

    internal void Miss(bool coalesced)
    {
        Interlocked.Increment(ref _misses);
        if (coalesced)
        {
            Interlocked.Increment(ref _coalesced);
        }
    }

    internal void UpstreamFetch() => Interlocked.Increment(ref _upstreamFetches);

    internal void Served(long bytes) => Interlocked.Add(ref _servedBytes, bytes);

    internal void Upstream(long bytes) => Interlocked.Add(ref _upstreamBytes, bytes);

    internal void Evicted(int count) => Interlocked.Add(ref _evictions, count);

    internal void Corrupt() => Interlocked.Increment(ref _corruptEntries);

    internal void Refuse() => Interlocked.Increment(ref _refused);

    /// <summary>The Prometheus text format, with the store's current size and entry count.</summary>
    public string Render(long storeBytes, int storeEntries)
    {
        var text = new StringBuilder();
        Counter(text, "guestpull_cache_hits_total", "Requests answered from a verified cache entry.", Hits);
        Counter(text, "guestpull_cache_misses_total", "Requests that found no cache entry.", Misses);
        Counter(text, "guestpull_cache_coalesced_total", "Misses that joined an upstream fetch already under way.", Coalesced);
        Counter(text, "guestpull_cache_upstream_fetches_total", "Fetches started at an upstream registry.", UpstreamFetches);
        Counter(text, "guestpull_cache_served_bytes_total", "Body bytes sent to clients.", ServedBytes);
        Counter(text, "guestpull_cache_upstream_bytes_total", "Body bytes received from upstream registries.", UpstreamBytes);
        Counter(text, "guestpull_cache_evictions_total", "Entries evicted to stay under the size limit.", Evictions);
        Counter(text, "guestpull_cache_corrupt_entries_total", "Entries found altered on disk and dropped.", CorruptEntries);
        Counter(text, "guestpull_cache_refused_total", "Requests refused (tags, unsupported endpoints, bad names).", Refused);
        Gauge(text, "guestpull_cache_size_bytes", "Bytes held by cache entries.", storeBytes);
        Gauge(text, "guestpull_cache_entries", "Cache entries.", storeEntries);
        return text.ToString();
    }

    private static void Counter(StringBuilder text, string name, string help, long value) => Write(text, name, help, "counter", value);

    private static void Gauge(StringBuilder text, string name, string help, long value) => Write(text, name, help, "gauge", value);

    private static void Write(StringBuilder text, string name, string help, string type, long value) =>
        text.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} {type}\n{name} {value}\n");
}
