using System.Diagnostics;
using System.Globalization;

namespace GuestPull.Agent.Containers;

/// <summary>
/// One process of a container, run as a foreground <c>runc run</c> or <c>runc exec</c> child of
/// the agent. Without a terminal runc copies between its own stdio and the container's, so the
/// pipes .NET makes for the child are the process's stdio; runc stays the process's parent, reaps
/// it (and, as subreaper, its orphans) and exits with its status (128 + n for signal n), which is
/// what the agent records. Output is pumped into buffers from the moment the process starts, so
/// readers may call before or after.
/// </summary>
internal sealed class ContainerProcess
{
    private readonly TaskCompletionSource<ProcessExit> _exit = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _stdinGate = new(1, 1);
    private Process? _process;
    private Stream? _stdin;
    private int? _pid;

    public ContainerProcess(string execId, string pidFile)
    {
        ExecId = execId;
        PidFile = pidFile;
    }

    public string ExecId { get; }

    public string PidFile { get; }

    public OutputBuffer Stdout { get; } = new();

    public OutputBuffer Stderr { get; } = new();

    public bool IsStarted => _process is not null;

    public DateTimeOffset? StartedAt { get; private set; }

    public Task<ProcessExit> Exited => _exit.Task;

    public bool HasExited => _exit.Task.IsCompleted;

    /// <summary>The process's pid once runc wrote it; null before that.</summary>
    public int? Pid
    {
        get
        {
            if (_pid is null && File.Exists(PidFile))
            {
                try
                {
                    if (int.TryParse(File.ReadAllText(PidFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid > 0)
                    {
                        _pid = pid;
                    }
                }
                catch (IOException)
                {
                    // Read again next time: runc writes the file by rename, so this is transient.
                }
            }

            return _pid;
        }
    }

    /// <summary>Starts the runc child; its stdio are pipes the agent owns.</summary>
    public void Start(string runcPath, IReadOnlyList<string> arguments, CancellationToken lifetime)
    {
        var startInfo = new ProcessStartInfo(runcPath)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"{runcPath} did not start");
        _process = process;
        _stdin = process.StandardInput.BaseStream;
        StartedAt = DateTimeOffset.UtcNow;
        var stdout = Stdout.PumpAsync(process.StandardOutput.BaseStream, lifetime);
        var stderr = Stderr.PumpAsync(process.StandardError.BaseStream, lifetime);
        _ = RecordExitAsync(process, stdout, stderr);
    }

    /// <summary>Waits until runc reports the pid (the process exists) or exits first (it failed).</summary>
    public async Task<int?> WaitForPidAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        while (Pid is null && !HasExited)
        {
            try
            {
                await Task.WhenAny(Exited, Task.Delay(TimeSpan.FromMilliseconds(50), limit.Token)).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                break;
            }

            limit.Token.ThrowIfCancellationRequested();
        }

        return Pid;
    }

    public async Task<int> WriteStdinAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        await _stdinGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var stdin = _stdin ?? throw new InvalidOperationException("its stdin is closed or it has not started");
            await stdin.WriteAsync(data, cancellationToken).ConfigureAwait(false);
            await stdin.FlushAsync(cancellationToken).ConfigureAwait(false);
            return data.Length;
        }
        finally
        {
            _stdinGate.Release();
        }
    }

    public async Task CloseStdinAsync(CancellationToken cancellationToken)
    {
        await _stdinGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var stdin = _stdin;
            _stdin = null;
            if (stdin is not null)
            {
                try
                {
                    await stdin.DisposeAsync().ConfigureAwait(false);
                }
                catch (IOException)
                {
                    // The reader is gone already; closed either way.
                }
            }
        }
        finally
        {
            _stdinGate.Release();
        }
    }

    /// <summary>Kills the runc child itself: the last resort when runc kill did not end the container.</summary>
    public void KillRunc()
    {
        try
        {
            _process?.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
    }

    private async Task RecordExitAsync(Process process, Task stdout, Task stderr)
    {
        try
        {
            await process.WaitForExitAsync().ConfigureAwait(false);
            var exit = new ProcessExit(process.ExitCode, DateTimeOffset.UtcNow);
            // Output that was still in the pipes belongs before the exit is reported.
            await Task.WhenAll(stdout, stderr).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            _exit.TrySetResult(exit);
        }
        catch (TimeoutException)
        {
            // A process the container left behind still holds the pipes; the exit is known anyway.
            _exit.TrySetResult(new ProcessExit(process.ExitCode, DateTimeOffset.UtcNow));
        }
        finally
        {
            _stdin = null;
            process.Dispose();
        }
    }
}
