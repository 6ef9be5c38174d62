using Google.Protobuf.WellKnownTypes;
using GuestPull.Shim.Events;
using GuestPull.Api.Containerd.Events;
using GuestPull.Shim.Sandbox;
using GuestPull.Ttrpc;
using Microsoft.Extensions.Logging;

namespace GuestPull.Shim.Tasks;

/// <summary>
/// Waits for a started process to exit in the guest, records its exit once and publishes containerd's TaskExit for it.
/// </summary>
internal sealed partial class ProcessExitMonitor
{
    /// <summary>The exit status recorded when the sandbox dies under a process (it was killed).</summary>
    public const uint KilledStatus = 137;

    private readonly IEventSink _events;
    private readonly ILogger _logger;

    public ProcessExitMonitor(IEventSink events, ILogger logger)
    {
        _events = events;
        _logger = logger;
    }

    /// <summary>Waits for the process's exit through the agent (or the agent's death), drains its output, then records the exit.</summary>
    public async Task MonitorAsync(ISandbox sandbox, ShimProcess process, CancellationToken stopping)
    {
        uint status;
        Timestamp exitedAt;
        try
        {
            var exit = await sandbox.Agent.WaitProcessAsync(process.ContainerId, process.ExecId, stopping).ConfigureAwait(false);
            status = unchecked((uint)exit.Status);
            exitedAt = exit.ExitedAt ?? Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow);
        }
        catch (Exception ex) when (ex is TtrpcException or OperationCanceledException)
        {
            // The agent is gone, so the sandbox and the process with it: it was killed.
            LogWaitFailed(_logger, process.Description, ex.Message);
            status = KilledStatus;
            exitedAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow);
        }

        // containerd must see all output before the exit (CRI closes the log when it learns of it).
        if (process.Io is { } io)
        {
            await io.OutputDrained.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        RecordExit(process, status, exitedAt);
    }

    /// <summary>Records the exit (the first one wins), publishes TaskExit for it and releases the process's waiters.</summary>
    public void RecordExit(ShimProcess process, uint status, Timestamp exitedAt)
    {
        if (process.SetExited(status, exitedAt))
        {
            LogExited(_logger, process.Description, status);
            _events.Publish(EventTopics.TaskExit, new TaskExit
            {
                ContainerId = process.ContainerId,
                Id = process.EventId,
                Pid = process.Pid,
                ExitStatus = status,
                ExitedAt = exitedAt,
            });
        }

        process.CompleteExit();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Process} exited with status {Status}")]
    private static partial void LogExited(ILogger logger, string process, uint status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "waiting for {Process} failed: {Error}; recording it as killed")]
    private static partial void LogWaitFailed(ILogger logger, string process, string error);
}
