namespace GuestPull.Testing;

/// Image configuration changes applied with `umoci config`. Null leaves a field as it is; an empty
/// list clears it (e.g. Cmd = [] removes the command).
public sealed class ImageConfigOptions
{
    public IReadOnlyList<string>? Cmd { get; init; }

    public IReadOnlyList<string>? Entrypoint { get; init; }

    /// "NAME=value" entries, added to (or replacing same-named) variables already in the config.
    public IReadOnlyList<string>? Env { get; init; }

    /// "user", "uid", "uid:gid" or "user:group".
    public string? User { get; init; }

    public string? WorkingDirectory { get; init; }

    public IReadOnlyDictionary<string, string>? Labels { get; init; }

    /// "80/tcp" style entries.
    public IReadOnlyList<string>? ExposedPorts { get; init; }

    public IReadOnlyList<string>? Volumes { get; init; }

    public string? StopSignal { get; init; }

    public string? Author { get; init; }

    /// The config's "architecture" (GOARCH spelling: amd64, arm64, ...).
    public string? Architecture { get; init; }

    public string? Os { get; init; }
}
