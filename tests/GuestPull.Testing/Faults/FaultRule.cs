namespace GuestPull.Testing;

/// One FaultProxy rule: which requests it applies to, how often, and what it does.
internal sealed class FaultRule
{
    private int _remaining;

    public FaultRule(ProxyFault kind, string pathContains, string? method, int times)
    {
        ArgumentException.ThrowIfNullOrEmpty(pathContains);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(times);
        Kind = kind;
        PathContains = pathContains;
        Method = method;
        _remaining = times;
    }

    public ProxyFault Kind { get; }

    public string PathContains { get; }

    public string? Method { get; }

    public long DropAfterBytes { get; init; }

    public int Status { get; init; }

    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    public byte[] Body { get; init; } = [];

    public bool Matches(string method, string path) =>
        Volatile.Read(ref _remaining) > 0 &&
        path.Contains(PathContains, StringComparison.Ordinal) &&
        (Method is null || string.Equals(Method, method, StringComparison.OrdinalIgnoreCase));

    /// Takes one use of the rule; false if another connection took the last one first.
    public bool TryConsume()
    {
        while (true)
        {
            var remaining = Volatile.Read(ref _remaining);
            if (remaining <= 0)
            {
                return false;
            }

            if (remaining == int.MaxValue || Interlocked.CompareExchange(ref _remaining, remaining - 1, remaining) == remaining)
            {
                return true;
            }
        }
    }
}
