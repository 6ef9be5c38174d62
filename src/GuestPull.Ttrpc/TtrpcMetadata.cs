using System.Collections;

namespace GuestPull.Ttrpc;

/// <summary>
/// The key/value pairs a ttrpc request carries (the envelope's repeated <c>KeyValue metadata = 5</c>).
/// A key may appear several times; lookups ignore ASCII case, as upstream lower-cases keys.
/// </summary>
public sealed class TtrpcMetadata : IReadOnlyList<KeyValuePair<string, string>>
{
    /// <summary>The key containerd reads the namespace of a ttrpc call from.</summary>
    public const string ContainerdNamespaceKey = "containerd-namespace-ttrpc";

    private readonly List<KeyValuePair<string, string>> _entries = [];

    /// <summary>The number of entries, counting repeated keys.</summary>
    public int Count => _entries.Count;

    /// <summary>The value of <see cref="ContainerdNamespaceKey"/>, or null when absent.</summary>
    public string? ContainerdNamespace => GetValue(ContainerdNamespaceKey);

    /// <summary>The entry at <paramref name="index"/>, in the order sent.</summary>
    /// <param name="index">Zero-based position.</param>
    public KeyValuePair<string, string> this[int index] => _entries[index];

    /// <summary>Creates metadata holding only containerd's namespace key.</summary>
    /// <param name="containerdNamespace">The containerd namespace, such as <c>k8s.io</c>.</param>
    public static TtrpcMetadata ForContainerdNamespace(string containerdNamespace)
    {
        var metadata = new TtrpcMetadata();
        metadata.Add(ContainerdNamespaceKey, containerdNamespace);
        return metadata;
    }

    /// <summary>Appends an entry; an existing entry with the same key is kept.</summary>
    /// <param name="key">The key; must not be empty.</param>
    /// <param name="value">The value.</param>
    public void Add(string key, string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        _entries.Add(new KeyValuePair<string, string>(key, value));
    }

    // Received entries are kept as sent, even with keys Add would refuse: they are the peer's business.
    internal void AddReceived(string key, string value) => _entries.Add(new KeyValuePair<string, string>(key, value));

    /// <summary>Replaces every entry of <paramref name="key"/> with one entry holding <paramref name="value"/>.</summary>
    /// <param name="key">The key; must not be empty.</param>
    /// <param name="value">The value.</param>
    public void Set(string key, string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        _entries.RemoveAll(entry => IsKey(entry, key));
        _entries.Add(new KeyValuePair<string, string>(key, value));
    }

    /// <summary>The first value of <paramref name="key"/>, or null when the key is absent.</summary>
    /// <param name="key">The key to look up.</param>
    public string? GetValue(string key)
    {
        foreach (var entry in _entries)
        {
            if (IsKey(entry, key))
            {
                return entry.Value;
            }
        }

        return null;
    }

    /// <summary>Every value of <paramref name="key"/>, in the order sent.</summary>
    /// <param name="key">The key to look up.</param>
    public IReadOnlyList<string> GetValues(string key) =>
        _entries.Where(entry => IsKey(entry, key)).Select(entry => entry.Value).ToList();

    /// <inheritdoc />
    public IEnumerator<KeyValuePair<string, string>> GetEnumerator() => _entries.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private static bool IsKey(KeyValuePair<string, string> entry, string key) =>
        string.Equals(entry.Key, key, StringComparison.OrdinalIgnoreCase);
}
