namespace GuestPull.Testing;

/// Settings for <see cref="ProcessRunner.StartBackground"/>.
public sealed class BackgroundProcessOptions
{
    /// Variables to set for the child; a null value removes the variable from the inherited environment.
    public IReadOnlyDictionary<string, string?>? Environment { get; init; }

    public string? WorkingDirectory { get; init; }

    /// Called for every stdout line, on a thread-pool thread.
    public Action<string>? OnStandardOutputLine { get; init; }

    /// Called for every stderr line, on a thread-pool thread.
    public Action<string>? OnStandardErrorLine { get; init; }

    /// How many lines of each stream the handle keeps for diagnostics; older lines are dropped.
    public int RetainedLines { get; init; } = 20_000;

    /// How long dispose waits for the killed process tree to be reaped.
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(30);
}
