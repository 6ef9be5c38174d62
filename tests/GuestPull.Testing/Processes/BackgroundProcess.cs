using System.Diagnostics;

namespace GuestPull.Testing;

/// A running daemon started by <see cref="ProcessRunner.StartBackground"/>. Disposing kills the whole
/// process tree and waits for it, so no test leaves a registry or containerd behind.
public sealed class BackgroundProcess : IDisposable, IAsyncDisposable
{
    private readonly Process _process;
    private readonly BackgroundProcessOptions _options;
    private readonly Lock _gate = new();
    private readonly Queue<string> _stdout = new();
    private readonly Queue<string> _stderr = new();
    private readonly List<LineWaiter> _waiters = [];
    private bool _disposed;

    internal BackgroundProcess(Process process, string commandLine, BackgroundProcessOptions options)
    {
        _process = process;
        _options = options;
        CommandLine = commandLine;
        process.OutputDataReceived += (_, e) => OnLine(e.Data, _stdout, options.OnStandardOutputLine);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data, _stderr, options.OnStandardErrorLine);
    }

    public string CommandLine { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// The exit code once the process has exited, else null.
    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    public IReadOnlyList<string> StandardOutputLines
    {
        get
        {
            lock (_gate)
            {
                return [.. _stdout];
            }
        }
    }

    public IReadOnlyList<string> StandardErrorLines
    {
        get
        {
            lock (_gate)
            {
                return [.. _stderr];
            }
        }
    }

    /// The last lines of stderr and stdout, for exception messages.
    public string DescribeOutput(int lines = 30)
    {
        lock (_gate)
        {
            return "stderr:\n" + string.Join('\n', _stderr.TakeLast(lines)) +
                "\nstdout:\n" + string.Join('\n', _stdout.TakeLast(lines));
        }
    }

    public Task WaitForExitAsync(CancellationToken cancellationToken) => _process.WaitForExitAsync(cancellationToken);

    /// Waits for a stdout or stderr line (already seen or still to come) that matches; throws
    /// <see cref="TimeoutException"/> or <see cref="InvalidOperationException"/> if the process exits first.
    public async Task<string> WaitForLineAsync(Func<string, bool> predicate, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var waiter = new LineWaiter(predicate);
        lock (_gate)
        {
            var seen = _stderr.Concat(_stdout).FirstOrDefault(predicate);
            if (seen is not null)
            {
                return seen;
            }

            _waiters.Add(waiter);
        }

        try
        {
            var exited = _process.WaitForExitAsync(cancellationToken);
            var first = await Task.WhenAny(waiter.Found.Task, exited).WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            if (first == waiter.Found.Task || waiter.Found.Task.IsCompleted)
            {
                return await waiter.Found.Task.ConfigureAwait(false);
            }

            throw new InvalidOperationException(
                $"'{CommandLine}' exited with code {_process.ExitCode} before printing the expected line.\n{DescribeOutput()}");
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"'{CommandLine}' did not print the expected line within {timeout}.\n{DescribeOutput()}");
        }
        finally
        {
            lock (_gate)
            {
                _waiters.Remove(waiter);
            }
        }
    }

    /// Kills the process tree without waiting; dispose still has to be called.
    public void Kill() => ProcessRunner.KillTree(_process);

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        ProcessRunner.KillTree(_process);
        _process.WaitForExit(_options.StopTimeout);
        _process.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        ProcessRunner.KillTree(_process);
        using (var stop = new CancellationTokenSource(_options.StopTimeout))
        {
            try
            {
                await _process.WaitForExitAsync(stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // A child that survives SIGKILL for this long is stuck in the kernel; nothing more to do here.
            }
        }

        _process.Dispose();
    }

    internal void OnStarted()
    {
        // Daemons never read stdin; closing it keeps them away from the test runner's terminal.
        _process.StandardInput.Close();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    private void OnLine(string? line, Queue<string> lines, Action<string>? callback)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            lines.Enqueue(line);
            while (lines.Count > _options.RetainedLines)
            {
                lines.Dequeue();
            }

            foreach (var waiter in _waiters)
            {
                if (waiter.Predicate(line))
                {
                    waiter.Found.TrySetResult(line);
                }
            }
        }

        callback?.Invoke(line);
    }

    private sealed record LineWaiter(Func<string, bool> Predicate)
    {
        public TaskCompletionSource<string> Found { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
