namespace GuestPull.Testing;

/// One "type:name:actions" scope of the Docker token protocol, e.g. repository:library/busybox:pull,push.
public sealed record TokenScope(string Type, string Name, IReadOnlyList<string> Actions)
{
    /// Parses a scope. The name may contain ':' (a registry:catalog:* style name never does, but a
    /// repository name with a port-like segment would), so type ends at the first ':' and actions start after the last.
    public static TokenScope Parse(string scope)
    {
        ArgumentNullException.ThrowIfNull(scope);
        var first = scope.IndexOf(':', StringComparison.Ordinal);
        var last = scope.LastIndexOf(':');
        if (first <= 0 || last == first)
        {
            throw new FormatException($"Token scope '{scope}' is not of the form type:name:actions.");
        }

        var actions = scope[(last + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return new TokenScope(scope[..first], scope[(first + 1)..last], actions);
    }

    public override string ToString() => $"{Type}:{Name}:{string.Join(',', Actions)}";
}
