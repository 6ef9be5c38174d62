using Google.Protobuf.WellKnownTypes;

namespace GuestPull.Shim.Tasks;

/// <summary>A container's own process (empty <see cref="ExecId"/>) or an exec'd one, as the task service tracks it.</summary>
internal sealed class ShimProcess
{
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ShimProcess(string containerId, string execId, ProcessStdio stdio, string? processJson = null)
    {
        ContainerId = containerId;
        ExecId = execId;
        Stdio = stdio;
        ProcessJson = processJson;
    }

    public string ContainerId { get; }

    /// <summary>Empty for the container's own process.</summary>
    public string ExecId { get; }

    /// <summary>How log lines and error messages name the process: the container, or the exec of the container.</summary>
    public string Description =>
        ExecId.Length == 0 ? $"container {ContainerId}" : $"exec {ExecId} of container {ContainerId}";

    /// <summary>The id containerd's events use: the exec id, or the container id for its own process.</summary>
    public string EventId => ExecId.Length == 0 ? ContainerId : ExecId;

    public ProcessStdio Stdio { get; }

    /// <summary>The OCI process JSON of an exec.</summary>
    public string? ProcessJson { get; }

    public ProcessStatus Status { get; private set; } = ProcessStatus.Created;

    public uint Pid { get; private set; }

    public uint ExitStatus { get; private set; }

    public Timestamp? ExitedAt { get; private set; }

    public ProcessIo? Io { get; set; }

    /// <summary>Completes once the exit is recorded (and its output drained).</summary>
    public Task Exited => _exited.Task;

    public void SetRunning(uint pid)
    {
        Pid = pid;
        Status = ProcessStatus.Running;
    }

    /// <summary>Records the exit; false when it was already recorded.</summary>
    public bool SetExited(uint status, Timestamp exitedAt)
    {
        lock (_exited)
        {
            if (Status == ProcessStatus.Stopped)
            {
                return false;
            }

            ExitStatus = status;
            ExitedAt = exitedAt;
            Status = ProcessStatus.Stopped;
        }

        return true;
    }

    public void CompleteExit() => _exited.TrySetResult();
}
