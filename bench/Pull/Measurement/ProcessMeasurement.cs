namespace GuestPull.Bench.Pull.Measurement;

/// One finished tool: wall time from spawn to reap, and its rusage as GNU time reports it
/// (ru_maxrss covers the tool and any descendants it waited for).
internal sealed record ProcessMeasurement(
    string CommandLine,
    TimeSpan Elapsed,
    long PeakRssBytes,
    TimeSpan UserCpu,
    TimeSpan SystemCpu,
    int ExitCode,
    int Signal,
    string StandardOutputPath,
    string StandardErrorPath)
{
    public bool Succeeded => ExitCode == 0 && Signal == 0;

    /// Throws with the tail of the child's stderr (and stdout) when it failed.
    public async Task EnsureSucceededAsync(CancellationToken cancellationToken)
    {
        if (Succeeded)
        {
            return;
        }

        var stderr = await TailAsync(StandardErrorPath, cancellationToken).ConfigureAwait(false);
        var stdout = await TailAsync(StandardOutputPath, cancellationToken).ConfigureAwait(false);
        var how = Signal != 0 ? $"was killed by signal {Signal}" : $"exited with code {ExitCode}";
        throw new InvalidOperationException($"'{CommandLine}' {how}.\nstderr:\n{stderr}\nstdout:\n{stdout}");
    }

    private static async Task<string> TailAsync(string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            return "(none)";
        }

        var lines = await File.ReadAllLinesAsync(path, cancellationToken).ConfigureAwait(false);
        return string.Join('\n', lines.TakeLast(30)).Trim();
    }
}
