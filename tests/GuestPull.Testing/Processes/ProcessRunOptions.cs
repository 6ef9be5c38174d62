namespace GuestPull.Testing;

/// Settings for one <see cref="ProcessRunner.RunAsync"/> call.
public sealed class ProcessRunOptions
{
    /// Variables to set for the child; a null value removes the variable from the inherited environment.
    public IReadOnlyDictionary<string, string?>? Environment { get; init; }

    public string? WorkingDirectory { get; init; }

    /// Bytes written to the child's stdin, which is then closed. Without it stdin is closed at once so a
    /// tool that would prompt fails instead of hanging the test run.
    public byte[]? StandardInput { get; init; }

    /// The child (and its descendants) is killed after this long. Generous because CI machines are slow.
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(3);

    /// When false a non-zero exit code is returned in <see cref="ProcessResult.ExitCode"/> instead of thrown.
    public bool ThrowOnFailure { get; init; } = true;
}
