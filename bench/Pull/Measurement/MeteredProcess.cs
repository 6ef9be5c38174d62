using System.Collections;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

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
        using (deadline.Token.Register(() => NativeMethods.Kill(-pid, NativeMethods.SignalKill)))
        {
            // wait4 blocks; a dedicated thread keeps it off the thread pool.
            var status = await Task.Factory.StartNew(
                () => Reap(pid),
                CancellationToken.None,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default).ConfigureAwait(false);
            clock.Stop();
            cancellationToken.ThrowIfCancellationRequested();
            if (deadline.IsCancellationRequested)
            {
                throw new TimeoutException($"'{commandLine}' did not finish within {timeout}; it was killed.");
            }

            var signal = status & 0x7f;
            var exitCode = signal == 0 ? (status >> 8) & 0xff : -1;
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

    private static int Reap(int pid)
    {
        while (true)
        {
            if (NativeMethods.Wait4(pid, out var status, 0, out _) == pid)
            {
                return status;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno != NativeMethods.ErrorInterrupted)
            {
                throw new InvalidOperationException($"wait4({pid}) failed with errno {errno}.");
            }
        }
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

    private static unsafe int Spawn(string file, IReadOnlyList<string> arguments, List<string> environment, string stdoutPath, string stderrPath, string commandLine)
    {
        var argv = AllocateStrings([file, .. arguments]);
        var envp = AllocateStrings(environment);
        var fileActions = NativeMemory.AllocZeroed(NativeMethods.FileActionsSize);
        var attributes = NativeMemory.AllocZeroed(NativeMethods.SpawnAttributesSize);
        var defaults = NativeMemory.AllocZeroed(NativeMethods.SignalSetSize);
        var mask = NativeMemory.AllocZeroed(NativeMethods.SignalSetSize);
        try
        {
            Check(NativeMethods.FileActionsInit(fileActions), "posix_spawn_file_actions_init");
            Check(NativeMethods.FileActionsAddOpen(fileActions, 0, "/dev/null", NativeMethods.OpenReadOnly, 0), "addopen stdin");
            Check(NativeMethods.FileActionsAddOpen(fileActions, 1, stdoutPath, NativeMethods.OpenWriteCreateTruncate, 0x1a4), "addopen stdout");
            Check(NativeMethods.FileActionsAddOpen(fileActions, 2, stderrPath, NativeMethods.OpenWriteCreateTruncate, 0x1a4), "addopen stderr");

            // .NET ignores SIGPIPE and handles several signals; the tool must start with default
            // dispositions and nothing blocked, as it would from a shell.
            Check(NativeMethods.SpawnAttributesInit(attributes), "posix_spawnattr_init");
            NativeMethods.SignalSetEmpty(defaults);
            for (var signal = 1; signal < 32; signal++)
            {
                if (signal is not 9 and not 19)
                {
                    NativeMethods.SignalSetAdd(defaults, signal);
                }
            }

            NativeMethods.SignalSetEmpty(mask);
            Check(NativeMethods.SpawnAttributesSetSignalDefault(attributes, defaults), "posix_spawnattr_setsigdefault");
            Check(NativeMethods.SpawnAttributesSetSignalMask(attributes, mask), "posix_spawnattr_setsigmask");
            Check(NativeMethods.SpawnAttributesSetProcessGroup(attributes, 0), "posix_spawnattr_setpgroup");
            const short flags = NativeMethods.SpawnSetProcessGroup | NativeMethods.SpawnSetSignalDefault | NativeMethods.SpawnSetSignalMask;
            Check(NativeMethods.SpawnAttributesSetFlags(attributes, flags), "posix_spawnattr_setflags");

            var error = NativeMethods.PosixSpawnP(out var pid, file, fileActions, attributes, argv, envp);
            if (error != 0)
            {
                throw new InvalidOperationException($"'{commandLine}' could not be started (errno {error}); is {file} installed?");
            }

            return pid;
        }
        finally
        {
            NativeMethods.FileActionsDestroy(fileActions);
            NativeMethods.SpawnAttributesDestroy(attributes);
            NativeMemory.Free(fileActions);
            NativeMemory.Free(attributes);
            NativeMemory.Free(defaults);
            NativeMemory.Free(mask);
            FreeStrings(argv);
            FreeStrings(envp);
        }
    }

    private static void Check(int result, string what)
    {
        if (result != 0)
        {
            throw new InvalidOperationException($"{what} failed with error {result}.");
        }
    }

    private static unsafe byte** AllocateStrings(IReadOnlyList<string> values)
    {
        var array = (byte**)NativeMemory.AllocZeroed((nuint)(values.Count + 1), (nuint)sizeof(byte*));
        for (var i = 0; i < values.Count; i++)
        {
            array[i] = (byte*)Marshal.StringToCoTaskMemUTF8(values[i]);
        }

        return array;
    }

    private static unsafe void FreeStrings(byte** array)
    {
        for (var i = 0; array[i] != null; i++)
        {
            Marshal.FreeCoTaskMem((nint)array[i]);
        }

        NativeMemory.Free(array);
    }
}
