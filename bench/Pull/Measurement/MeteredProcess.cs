using System.Collections;
using System.Diagnostics;
using System.Globalization;
using GuestPull.Linux;

namespace GuestPull.Bench.Pull.Measurement;

/// Runs a tool and measures its wall time and peak RSS. The tool runs under GNU time, which forks it
/// from a process of about 1 MB and reports the wait4 rusage: posix_spawn (like .NET's Process)
/// starts children with vfork, and the kernel then charges the parent's resident set to the child's
/// ru_maxrss, which would put this benchmark's own ~90 MB under every figure. We spawn GNU time
/// ourselves and reap it with wait4 for the exit status and the wall time. Stdout and stderr go to
/// files, stdin is /dev/null, and the tool gets its own process group so a timeout kills all of it.
internal static class MeteredProcess
{
    public const string GnuTime = "/usr/bin/time";
    private static int s_sequence;

    public static async Task<ProcessMeasurement> RunAsync(
        string file,
        IReadOnlyList<string> arguments,
        string logDirectory,
        IReadOnlyDictionary<string, string?>? environment,
        TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        if (!File.Exists(GnuTime))
        {
            throw new InvalidOperationException($"{GnuTime} is missing; install GNU time (`apt-get install time`), which reports each tool's peak RSS.");
        }

        Directory.CreateDirectory(logDirectory);
        var sequence = Interlocked.Increment(ref s_sequence);
        var name = $"{sequence:D3}-{Path.GetFileName(file)}";
        var stdoutPath = Path.Combine(logDirectory, name + ".out");
        var stderrPath = Path.Combine(logDirectory, name + ".err");
        var usagePath = Path.Combine(logDirectory, name + ".rusage");
        var commandLine = string.Join(' ', new[] { file }.Concat(arguments));
        List<string> timed = ["-q", "-f", "%M %U %S", "-o", usagePath, "--", file, .. arguments];

        var clock = Stopwatch.StartNew();
        var pid = Spawn(GnuTime, timed, BuildEnvironment(environment), stdoutPath, stderrPath, commandLine);

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        using (deadline.Token.Register(() => Signals.TrySend(-pid, Signals.Kill)))
        {
            // wait4 blocks; a dedicated thread keeps it off the thread pool.
            var status = await Task.Factory.StartNew(
                () => ChildProcesses.WaitForExit(pid),
                CancellationToken.None,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default).ConfigureAwait(false);
            clock.Stop();
            cancellationToken.ThrowIfCancellationRequested();
            if (deadline.IsCancellationRequested)
            {
                throw new TimeoutException($"'{commandLine}' did not finish within {timeout}; it was killed.");
            }

            var signal = status.TerminatingSignal;
            var exitCode = status.ExitCode;
            // GNU time exits with 128+N when the tool died of signal N.
            if (exitCode > 128 && exitCode < 160)
            {
                signal = exitCode - 128;
            }

            var (peakKilobytes, user, system) = await ReadUsageAsync(usagePath, commandLine, cancellationToken).ConfigureAwait(false);
            return new ProcessMeasurement(
                commandLine,
                clock.Elapsed,
                peakKilobytes * 1024,
                TimeSpan.FromSeconds(user),
                TimeSpan.FromSeconds(system),
                exitCode,
                signal == 0 ? 0 : signal,
                stdoutPath,
                stderrPath);
        }
    }

    // The last line is "%M %U %S"; GNU time may write a status line before it.
    private static async Task<(long PeakKilobytes, double User, double System)> ReadUsageAsync(string path, string commandLine, CancellationToken cancellationToken)
    {
        var lines = File.Exists(path) ? await File.ReadAllLinesAsync(path, cancellationToken).ConfigureAwait(false) : [];
        var fields = lines.LastOrDefault(l => l.Trim().Length > 0)?.Trim().Split(' ') ?? [];
        if (fields.Length != 3
            || !long.TryParse(fields[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var peak)
            || !double.TryParse(fields[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var user)
            || !double.TryParse(fields[2], NumberStyles.Float, CultureInfo.InvariantCulture, out var system))
        {
            throw new InvalidOperationException($"GNU time wrote no usable rusage for '{commandLine}' to {path}: '{string.Join(" | ", lines)}'.");
        }

        return (peak, user, system);
    }

    private static List<string> BuildEnvironment(IReadOnlyDictionary<string, string?>? overrides)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            variables[(string)entry.Key] = (string?)entry.Value ?? string.Empty;
        }

        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                variables.Remove(key);
            }
            else
            {
                variables[key] = value;
            }
        }

        return [.. variables.Select(v => $"{v.Key}={v.Value}")];
    }

    private static int Spawn(string file, IReadOnlyList<string> arguments, List<string> environment, string stdoutPath, string stderrPath, string commandLine)
    {
        try
        {
            return ChildProcesses.Spawn(new SpawnRequest
            {
                File = file,
                Arguments = [file, .. arguments],
                Environment = environment,
                StandardOutputPath = stdoutPath,
                StandardErrorPath = stderrPath,
            });
        }
        catch (NativeCallException ex) when (ex.Syscall == "posix_spawnp")
        {
            throw new InvalidOperationException($"'{commandLine}' could not be started ({Errno.Name(ex.Errno)}); is {file} installed?", ex);
        }
    }
}
