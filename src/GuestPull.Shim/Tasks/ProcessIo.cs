using Google.Protobuf;
using GuestPull.Api.Agent;
using GuestPull.Ttrpc;
using Microsoft.Extensions.Logging;

namespace GuestPull.Shim.Tasks;

/// <summary>
/// Copies a guest process's stdio: agent ReadStdout/ReadStderr to containerd's fifos until eof, and the
/// stdin fifo to WriteStdin until it closes (then CloseStdin). Output is drained even when containerd
/// gave no path, so the agent's buffers never fill.
/// </summary>
internal sealed partial class ProcessIo
{
    private readonly AgentClient _agent;
    private readonly ShimProcess _process;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stdinStop = new();
    private int _stdinClosed;

    private ProcessIo(AgentClient agent, ShimProcess process, ILogger logger)
    {
        _agent = agent;
        _process = process;
        _logger = logger;
    }

    /// <summary>Completes when stdout and stderr reached eof and their writers are closed.</summary>
    public Task OutputDrained { get; private set; } = Task.CompletedTask;

    public static ProcessIo Start(AgentClient agent, ShimProcess process, ILogger logger, CancellationToken stopping)
    {
        var io = new ProcessIo(agent, process, logger);
        io.OutputDrained = Task.WhenAll(
            Task.Run(() => io.CopyOutAsync(stderr: false, process.Stdio.Stdout, stopping), CancellationToken.None),
            Task.Run(() => io.CopyOutAsync(stderr: true, process.Stdio.Stderr, stopping), CancellationToken.None));
        if (process.Stdio.Stdin.Length > 0)
        {
            _ = Task.Run(() => io.CopyInAsync(process.Stdio.Stdin), CancellationToken.None);
        }

        return io;
    }

    /// <summary>containerd's CloseIO: the process sees eof on stdin.</summary>
    public async Task CloseStdinAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _stdinClosed, 1) == 1)
        {
            return;
        }

        await _stdinStop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _agent.CloseStdinAsync(_process.ContainerId, _process.ExecId, cancellationToken).ConfigureAwait(false);
        }
        catch (TtrpcException ex)
        {
            LogStdinFailed(_logger, _process.EventId, ex.Message);
        }
    }

    private async Task CopyOutAsync(bool stderr, string path, CancellationToken stopping)
    {
        var name = stderr ? "stderr" : "stdout";
        Stream? sink = null;
        try
        {
            sink = await OpenSinkAsync(path).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            LogOpenFailed(_logger, _process.EventId, name, path, ex.Message);
        }

        try
        {
            while (true)
            {
                var chunk = await _agent.ReadAsync(_process.ContainerId, _process.ExecId, stderr, stopping).ConfigureAwait(false);
                if (chunk.Data.Length > 0 && sink is not null)
                {
                    try
                    {
                        chunk.Data.WriteTo(sink);
                        await sink.FlushAsync(stopping).ConfigureAwait(false);
                    }
                    catch (IOException ex)
                    {
                        // The reader went away; keep draining so the process is never blocked on a full pipe.
                        LogWriteFailed(_logger, _process.EventId, name, ex.Message);
                        await sink.DisposeAsync().ConfigureAwait(false);
                        sink = null;
                    }
                }

                if (chunk.Eof)
                {
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is TtrpcException or OperationCanceledException)
        {
            LogReadFailed(_logger, _process.EventId, name, ex.Message);
        }
        finally
        {
            if (sink is not null)
            {
                await sink.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task CopyInAsync(string path)
    {
        var stopping = _stdinStop.Token;
        try
        {
            // Opening a fifo for reading waits for its writer; containerd has opened it by now.
            var source = await Task.Run(() => new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.None), stopping).ConfigureAwait(false);
            await using (source.ConfigureAwait(false))
            {
                var buffer = new byte[32 * 1024];
                while (!stopping.IsCancellationRequested)
                {
                    var read = await source.ReadAsync(buffer, stopping).ConfigureAwait(false);
                    if (read == 0)
                    {
                        break;
                    }

                    var offset = 0;
                    while (offset < read)
                    {
                        var written = await _agent.WriteStdinAsync(_process.ContainerId, _process.ExecId, ByteString.CopyFrom(buffer, offset, read - offset), stopping).ConfigureAwait(false);
                        if (written.Len == 0)
                        {
                            break;
                        }

                        offset += (int)Math.Min(written.Len, (uint)(read - offset));
                    }
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or TtrpcException or OperationCanceledException)
        {
            LogStdinFailed(_logger, _process.EventId, ex.Message);
        }

        await CloseStdinAsync(CancellationToken.None).ConfigureAwait(false);
    }

    // A fifo or file path, or a file:// URI (containerd's log file form); anything else (binary://) is drained to nowhere.
    private static async Task<Stream?> OpenSinkAsync(string path)
    {
        if (path.Length == 0)
        {
            return null;
        }

        if (path.StartsWith("file://", StringComparison.Ordinal))
        {
            var file = new Uri(path).LocalPath;
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            return new FileStream(file, FileMode.Append, FileAccess.Write, FileShare.ReadWrite, 1);
        }

        if (path.Contains("://", StringComparison.Ordinal))
        {
            throw new NotSupportedException($"unsupported stdio URI {path} (only fifo paths and file:// are)");
        }

        // Opening a fifo for writing waits for its reader; containerd opened it before Create.
        return await Task.Run(() => new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1, FileOptions.None)).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Id}: cannot open {Stream} at {Path}: {Error}; output is discarded")]
    private static partial void LogOpenFailed(ILogger logger, string id, string stream, string path, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Id}: writing {Stream} failed: {Error}; the rest is discarded")]
    private static partial void LogWriteFailed(ILogger logger, string id, string stream, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Id}: reading {Stream} from the agent failed: {Error}")]
    private static partial void LogReadFailed(ILogger logger, string id, string stream, string error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Id}: stdin: {Error}")]
    private static partial void LogStdinFailed(ILogger logger, string id, string error);
}
