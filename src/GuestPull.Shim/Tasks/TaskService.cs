using System.Text;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using GuestPull.Shim.Daemon;
using GuestPull.Shim.Events;
using GuestPull.Api.Containerd.Events;
using GuestPull.Api.Containerd.Task.V2;
using GuestPull.Api.Containerd.Types;
using GuestPull.Shim.Rootfs;
using GuestPull.Shim.Sandbox;
using GuestPull.Ttrpc;
using Microsoft.Extensions.Logging;
using AgentProtocol = GuestPull.Api.Agent.V1;

namespace GuestPull.Shim.Tasks;

/// <summary>
/// containerd.task.v2.Task for every container of one pod, backed by the pod's sandbox and its agent.
/// The sandbox (<see cref="SandboxLifetime"/>) starts with the first Create and stops when containerd asks for Shutdown
/// with no container left; <see cref="ProcessExitMonitor"/> reports the exits of the started processes.
/// </summary>
internal sealed partial class TaskService : IAsyncDisposable
{
    public const string Service = "containerd.task.v2.Task";

    private readonly TaskServiceOptions _options;
    private readonly ILogger _logger;
    private readonly ShimContainerTable _containers = new();
    private readonly SandboxLifetime _sandbox;
    private readonly ProcessExitMonitor _exits;
    private readonly TaskCompletionSource _shutdownRequested = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskService(TaskServiceOptions options, ILogger logger)
    {
        _options = options;
        _logger = logger;
        _sandbox = new SandboxLifetime(options, logger);
        _exits = new ProcessExitMonitor(options.Events, logger);
    }

    /// <summary>Completes when containerd asked for Shutdown and no container is left.</summary>
    public Task ShutdownRequested => _shutdownRequested.Task;

    public ISandbox? Sandbox => _sandbox.Current;

    public void Register(TtrpcServer server)
    {
        server.Register<CreateTaskRequest, CreateTaskResponse>(Service, "Create", CreateTaskRequest.Parser, (_, r, ct) => CreateAsync(r, ct));
        server.Register<StartRequest, StartResponse>(Service, "Start", StartRequest.Parser, (_, r, ct) => StartAsync(r, ct));
        server.Register<StateRequest, StateResponse>(Service, "State", StateRequest.Parser, (_, r, _) => Task.FromResult(State(r)));
        server.Register<WaitRequest, WaitResponse>(Service, "Wait", WaitRequest.Parser, (_, r, ct) => WaitAsync(r, ct));
        server.Register<KillRequest, Empty>(Service, "Kill", KillRequest.Parser, (_, r, ct) => KillAsync(r, ct));
        server.Register<DeleteRequest, DeleteResponse>(Service, "Delete", DeleteRequest.Parser, (_, r, ct) => DeleteAsync(r, ct));
        server.Register<PidsRequest, PidsResponse>(Service, "Pids", PidsRequest.Parser, (_, r, _) => Task.FromResult(Pids(r)));
        server.Register<ExecProcessRequest, Empty>(Service, "Exec", ExecProcessRequest.Parser, (_, r, _) => Task.FromResult(Exec(r)));
        server.Register<ResizePtyRequest, Empty>(Service, "ResizePty", ResizePtyRequest.Parser, (_, r, _) => Task.FromResult(ResizePty(r)));
        server.Register<CloseIORequest, Empty>(Service, "CloseIO", CloseIORequest.Parser, (_, r, ct) => CloseIOAsync(r, ct));
        server.Register<UpdateTaskRequest, Empty>(Service, "Update", UpdateTaskRequest.Parser, (_, r, _) => Task.FromResult(Update(r)));
        server.Register<StatsRequest, StatsResponse>(Service, "Stats", StatsRequest.Parser, (_, r, _) => Task.FromResult(Stats(r)));
        server.Register<ConnectRequest, ConnectResponse>(Service, "Connect", ConnectRequest.Parser, (_, r, _) => Task.FromResult(Connect(r)));
        server.Register<ShutdownRequest, Empty>(Service, "Shutdown", ShutdownRequest.Parser, (_, r, _) => Task.FromResult(Shutdown(r)));
        server.Register<PauseRequest, Empty>(Service, "Pause", PauseRequest.Parser, (_, _, _) => throw NotImplemented("Pause"));
        server.Register<ResumeRequest, Empty>(Service, "Resume", ResumeRequest.Parser, (_, _, _) => throw NotImplemented("Resume"));
        server.Register<CheckpointTaskRequest, Empty>(Service, "Checkpoint", CheckpointTaskRequest.Parser, (_, _, _) => throw NotImplemented("Checkpoint"));
    }

    public async Task<CreateTaskResponse> CreateAsync(CreateTaskRequest request, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(request.Id))
        {
            throw new TtrpcException(TtrpcStatusCode.InvalidArgument, "Create: the task id is empty");
        }

        if (request.Terminal)
        {
            throw new TtrpcException(TtrpcStatusCode.InvalidArgument, $"Create {request.Id}: a terminal (tty) is not supported by the guestpull runtime yet");
        }

        if (request.Checkpoint.Length > 0)
        {
            throw NotImplemented("Create from a checkpoint");
        }

        if (_containers.Contains(request.Id))
        {
            throw new TtrpcException(TtrpcStatusCode.AlreadyExists, $"container {request.Id}: already exists");
        }

        var spec = await PodGrouping.ReadSpecAsync(Path.Combine(request.Bundle, "config.json"), cancellationToken).ConfigureAwait(false);
        var annotations = SpecRewriter.Annotations(spec);
        var isSandbox = PodGrouping.IsSandboxContainer(spec);
        var mounts = request.Rootfs.Select(m => new RootfsMount(m.Type, m.Source, [.. m.Options])).ToList();
        var sandbox = await _sandbox.EnsureStartedAsync(spec, annotations, SandboxLifetime.ConfigPathOf(request.Options), cancellationToken).ConfigureAwait(false);
        RootfsPlan plan;
        try
        {
            plan = await sandbox.PrepareContainerAsync(new ContainerSpecRequest(request.Id, request.Bundle, spec, mounts, annotations, isSandbox), cancellationToken).ConfigureAwait(false);
            var create = new AgentProtocol.CreateContainerRequest { ContainerId = request.Id, OciSpecJson = spec.ToJsonString() };
            create.Storages.AddRange(plan.Storages);
            LogCreating(_logger, request.Id, isSandbox, plan.IsGuestPull ? plan.Storages[0].Source : "host rootfs " + plan.RootPath);
            await sandbox.Agent.CreateContainerAsync(create, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            sandbox.ReleaseContainer(request.Id);
            throw;
        }

        var stdio = new ProcessStdio(request.Stdin, request.Stdout, request.Stderr, request.Terminal);
        var cgroupsPath = spec["linux"]?["cgroupsPath"] is JsonValue cgroups && cgroups.TryGetValue<string>(out var path) ? path : null;
        var container = new ShimContainer(request.Id, request.Bundle, isSandbox, new ShimProcess(request.Id, string.Empty, stdio), plan, cgroupsPath);
        _containers.Add(container);

        var created = new TaskCreate
        {
            ContainerId = request.Id,
            Bundle = request.Bundle,
            Io = new TaskIO { Stdin = request.Stdin, Stdout = request.Stdout, Stderr = request.Stderr, Terminal = request.Terminal },
            Checkpoint = request.Checkpoint,
        };
        created.Rootfs.AddRange(request.Rootfs);
        _options.Events.Publish(EventTopics.TaskCreate, created);
        return new CreateTaskResponse();
    }

    public async Task<StartResponse> StartAsync(StartRequest request, CancellationToken cancellationToken)
    {
        var (container, process) = Find(request.Id, request.ExecId);
        if (process.Status != ProcessStatus.Created)
        {
            throw new TtrpcException(TtrpcStatusCode.FailedPrecondition, $"{process.Description} is {process.Status.ToString().ToLowerInvariant()}, not created");
        }

        var sandbox = _sandbox.Current ?? throw new TtrpcException(TtrpcStatusCode.FailedPrecondition, "the sandbox is not running");
        uint pid = 0;
        if (process.ExecId.Length == 0)
        {
            await sandbox.Agent.StartContainerAsync(container.Id, cancellationToken).ConfigureAwait(false);
            pid = await ReportedPidOfContainerAsync(sandbox, container, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await sandbox.Agent.ExecProcessAsync(container.Id, process.ExecId, process.ProcessJson!, cancellationToken).ConfigureAwait(false);
        }

        process.SetRunning(pid);
        process.Io = ProcessIo.Start(sandbox.Agent, process, _logger, _sandbox.Stopping);
        if (process.ExecId.Length == 0)
        {
            _options.Events.Publish(EventTopics.TaskStart, new TaskStart { ContainerId = container.Id, Pid = pid });
        }
        else
        {
            _options.Events.Publish(EventTopics.TaskExecStarted, new TaskExecStarted { ContainerId = container.Id, ExecId = process.ExecId, Pid = pid });
        }

        _ = Task.Run(() => _exits.MonitorAsync(sandbox, process, _sandbox.Stopping), CancellationToken.None);
        return new StartResponse { Pid = pid };
    }

    public StateResponse State(StateRequest request)
    {
        var (container, process) = Find(request.Id, request.ExecId);
        return new StateResponse
        {
            Id = process.EventId,
            Bundle = container.Bundle,
            Pid = process.Pid,
            Status = process.Status switch
            {
                ProcessStatus.Created => Status.Created,
                ProcessStatus.Running => Status.Running,
                _ => Status.Stopped,
            },
            Stdin = process.Stdio.Stdin,
            Stdout = process.Stdio.Stdout,
            Stderr = process.Stdio.Stderr,
            Terminal = process.Stdio.Terminal,
            ExitStatus = process.ExitStatus,
            ExitedAt = process.ExitedAt,
            ExecId = process.ExecId,
        };
    }

    public async Task<WaitResponse> WaitAsync(WaitRequest request, CancellationToken cancellationToken)
    {
        var (_, process) = Find(request.Id, request.ExecId);
        await process.Exited.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new WaitResponse { ExitStatus = process.ExitStatus, ExitedAt = process.ExitedAt };
    }

    public async Task<Empty> KillAsync(KillRequest request, CancellationToken cancellationToken)
    {
        var (container, process) = Find(request.Id, request.ExecId);
        switch (process.Status)
        {
            case ProcessStatus.Stopped:
                throw new TtrpcException(TtrpcStatusCode.NotFound, $"{process.Description}: process already finished");
            case ProcessStatus.Created:
                // Nothing runs in the guest yet; the process dies of the signal before it starts, as runc's would.
                _exits.RecordExit(process, 128 + request.Signal, Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow));
                return new Empty();
            default:
                try
                {
                    await _sandbox.Current!.Agent.SignalProcessAsync(container.Id, process.ExecId, request.Signal, cancellationToken).ConfigureAwait(false);
                }
                catch (TtrpcException ex) when (process.Status == ProcessStatus.Stopped || ex.StatusCode == TtrpcStatusCode.NotFound)
                {
                    throw new TtrpcException(TtrpcStatusCode.NotFound, $"{process.Description}: process already finished ({ex.Message})");
                }

                return new Empty();
        }
    }

    public async Task<DeleteResponse> DeleteAsync(DeleteRequest request, CancellationToken cancellationToken)
    {
        var (container, process) = Find(request.Id, request.ExecId);
        if (process.Status == ProcessStatus.Running)
        {
            throw new TtrpcException(TtrpcStatusCode.FailedPrecondition, $"{process.Description} is running; kill it before deleting it");
        }

        var exitedAt = process.ExitedAt ?? Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow);
        var response = new DeleteResponse { Pid = process.Pid, ExitStatus = process.ExitStatus, ExitedAt = exitedAt };
        if (process.ExecId.Length > 0)
        {
            _containers.RemoveExec(container, process.ExecId);

            return response;
        }

        if (_sandbox.Current is { } sandbox)
        {
            try
            {
                await sandbox.Agent.RemoveContainerAsync(container.Id, cancellationToken).ConfigureAwait(false);
            }
            catch (TtrpcException ex) when (ex.StatusCode is TtrpcStatusCode.NotFound or TtrpcStatusCode.Unavailable)
            {
                LogRemoveIgnored(_logger, container.Id, ex.Message);
            }

            sandbox.ReleaseContainer(container.Id);
        }

        _containers.Remove(container.Id);

        _options.Events.Publish(EventTopics.TaskDelete, new TaskDelete
        {
            ContainerId = container.Id,
            Pid = process.Pid,
            ExitStatus = process.ExitStatus,
            ExitedAt = exitedAt,
            Id = container.Id,
        });
        return response;
    }

    public PidsResponse Pids(PidsRequest request)
    {
        var (container, _) = Find(request.Id, string.Empty);
        var response = new PidsResponse();
        foreach (var pid in _containers.RunningPids(container))
        {
            response.Processes.Add(new ProcessInfo { Pid = pid });
        }

        return response;
    }

    public Empty Exec(ExecProcessRequest request)
    {
        var (container, init) = Find(request.Id, string.Empty);
        if (string.IsNullOrEmpty(request.ExecId))
        {
            throw new TtrpcException(TtrpcStatusCode.InvalidArgument, $"Exec in {request.Id}: the exec id is empty");
        }

        if (request.Terminal)
        {
            throw new TtrpcException(TtrpcStatusCode.InvalidArgument, $"Exec {request.ExecId} in {request.Id}: a terminal (tty) is not supported by the guestpull runtime yet");
        }

        if (init.Status != ProcessStatus.Running)
        {
            throw new TtrpcException(TtrpcStatusCode.FailedPrecondition, $"Exec {request.ExecId}: container {request.Id} is not running");
        }

        // containerd marshals the OCI process (not a protobuf message) into the Any as JSON.
        var processJson = request.Spec is null ? string.Empty : Encoding.UTF8.GetString(request.Spec.Value.Span);
        try
        {
            _ = JsonNode.Parse(processJson) as JsonObject ?? throw new TtrpcException(TtrpcStatusCode.InvalidArgument, $"Exec {request.ExecId}: the process spec is not a JSON object");
        }
        catch (System.Text.Json.JsonException ex)
        {
            throw new TtrpcException(TtrpcStatusCode.InvalidArgument, $"Exec {request.ExecId}: the process spec is not valid JSON: {ex.Message}");
        }

        var stdio = new ProcessStdio(request.Stdin, request.Stdout, request.Stderr, request.Terminal);
        if (!_containers.TryAddExec(container, new ShimProcess(container.Id, request.ExecId, stdio, processJson)))
        {
            throw new TtrpcException(TtrpcStatusCode.AlreadyExists, $"exec {request.ExecId} in container {request.Id}: already exists");
        }

        _options.Events.Publish(EventTopics.TaskExecAdded, new TaskExecAdded { ContainerId = container.Id, ExecId = request.ExecId });
        return new Empty();
    }

    public Empty ResizePty(ResizePtyRequest request)
    {
        // Without a terminal there is nothing to resize; runc's shim also ignores it then.
        _ = Find(request.Id, request.ExecId);
        return new Empty();
    }

    public async Task<Empty> CloseIOAsync(CloseIORequest request, CancellationToken cancellationToken)
    {
        var (_, process) = Find(request.Id, request.ExecId);
        if (request.Stdin && process.Io is { } io)
        {
            await io.CloseStdinAsync(cancellationToken).ConfigureAwait(false);
        }

        return new Empty();
    }

    public Empty Update(UpdateTaskRequest request)
    {
        _ = Find(request.Id, string.Empty);
        LogUpdateIgnored(_logger, request.Id);
        return new Empty();
    }

    public StatsResponse Stats(StatsRequest request)
    {
        var (container, _) = Find(request.Id, string.Empty);

        // NotFound makes containerd skip the task quietly when there is nothing to report (cgroup v2, systemd paths, gone).
        var metrics = CgroupV1Metrics.TryRead(container.CgroupsPath)
            ?? throw new TtrpcException(TtrpcStatusCode.NotFound, $"container {request.Id}: no cgroup v1 metrics at \"{container.CgroupsPath}\"");
        return new StatsResponse { Stats = new Any { TypeUrl = CgroupV1Metrics.TypeUrl, Value = metrics.ToByteString() } };
    }

    public ConnectResponse Connect(ConnectRequest request)
    {
        var taskPid = _containers.InitPidOf(request.Id);
        return new ConnectResponse { ShimPid = (uint)Environment.ProcessId, TaskPid = taskPid, Version = "guestpull" };
    }

    public Empty Shutdown(ShutdownRequest request)
    {
        if (!_containers.IsEmpty)
        {
            return new Empty();
        }

        LogShutdown(_logger, request.Id);
        _shutdownRequested.TrySetResult();
        return new Empty();
    }

    /// <summary>Stops the sandbox (every process in it) and removes its host traces.</summary>
    public ValueTask DisposeAsync() => _sandbox.DisposeAsync();

    private static TtrpcException NotImplemented(string what) => new(TtrpcStatusCode.Unimplemented, $"{what} is not implemented by the guestpull runtime");

    private static async Task<uint> ReportedPidOfContainerAsync(ISandbox sandbox, ShimContainer container, CancellationToken cancellationToken)
    {
        var list = await sandbox.Agent.ListContainersAsync(cancellationToken).ConfigureAwait(false);
        var info = list.Containers.FirstOrDefault(c => c.ContainerId == container.Id);
        return info is null ? 0 : sandbox.ReportedPid(container.IsSandbox, info.Pid);
    }

    private (ShimContainer Container, ShimProcess Process) Find(string id, string execId) => _containers.Find(id, execId);

    [LoggerMessage(Level = LogLevel.Information, Message = "creating {ContainerId} (sandbox container: {IsSandbox}) from {Rootfs}")]
    private static partial void LogCreating(ILogger logger, string containerId, bool isSandbox, string rootfs);

    [LoggerMessage(Level = LogLevel.Debug, Message = "removing {ContainerId} from the agent: {Error}")]
    private static partial void LogRemoveIgnored(ILogger logger, string containerId, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Update of {ContainerId}: resource changes are not applied in the guest yet")]
    private static partial void LogUpdateIgnored(ILogger logger, string containerId);

    [LoggerMessage(Level = LogLevel.Information, Message = "shutdown requested ({Id}) with no container left")]
    private static partial void LogShutdown(ILogger logger, string id);
}
