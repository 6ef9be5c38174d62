namespace GuestPull.Testing;

/// A request that went through a <see cref="FaultProxy"/>. <paramref name="Status"/> is what the client was
/// sent (the registry's status, or the canned one); <paramref name="Fault"/> says what the proxy did to it.
public sealed record ProxiedRequest(
    string Method,
    string Target,
    IReadOnlyDictionary<string, string> Headers,
    int Status,
    ProxyFault Fault)
{
    public string Path => Target.Split('?', 2)[0];

    /// The Range request header, e.g. "bytes=1000-", or null.
    public string? Range => Headers.TryGetValue("Range", out var range) ? range : null;
}
