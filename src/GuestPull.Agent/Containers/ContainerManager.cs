using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using GuestPull.Agent.Configuration;
using GuestPull.Api.Agent.V1;
using GuestPull.Agent.Storage;
using GuestPull.Images.Bundles;
using GuestPull.Linux;
using GuestPull.Ttrpc;
using Microsoft.Extensions.Logging;

namespace GuestPull.Agent.Containers;

/// <summary>
/// The agent's containers: creates each with the bundle <see cref="ContainerBundlePreparer"/> plans (the pause
/// rootfs for a sandbox, else the image pulled in the guest), runs its processes through runc, and takes it all
/// down on removal.
/// </summary>
internal sealed partial class ContainerManager : IAsyncDisposable
{
    private const int DefaultReadBytes = 64 * 1024;
    private const int MaxReadBytes = 1024 * 1024;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan DefaultStopTimeout = TimeSpan.FromSeconds(10);

    private readonly Runc _runc;
    private readonly BundleWriter _bundles;
    private readonly ContainerBundlePreparer _bundlePlans;
    private readonly ContainerTable _containers = new();
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _lifetime = new();

    public ContainerManager(AgentSettings settings, GuestImageService images, string? pauseLayer, ILoggerFactory logging)
    {
        _runc = new Runc(settings.RuncPath, settings.RuncRoot);
        _bundles = new BundleWriter(logging.CreateLogger<BundleWriter>());
        _bundlePlans = new ContainerBundlePreparer(settings, images, pauseLayer, _bundles);
        _logger = logging.CreateLogger("GuestPull.Agent.Containers");
    }

    public async Task CreateAsync(CreateContainerRequest request, CancellationToken cancellationToken)
    {
        var id = RequireId(request.ContainerId, "container_id");
        var spec = SpecMerger.ParseSpec(request.OciSpecJson);
        var plan = StorageParser.Parse(request.Storages) is { } storage
            ? _bundlePlans.ForGuestPull(id, spec, storage)
            : _bundlePlans.ForHostRootfs(id, spec);
        var container = await _containers.CreateAsync(id, plan, cancellationToken).ConfigureAwait(false);
        LogCreated(_logger, id, container.Image, container.Bundle);
    }

    public async Task StartAsync(string containerId, CancellationToken cancellationToken)
    {
        var container = Find(containerId);
        await container.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (container.Init.IsStarted)
            {
                throw new TtrpcException(TtrpcStatusCode.FailedPrecondition, $"container {container.Id} was already started");
            }

            var log = Path.Combine(container.Bundle, "runc.log");
            container.Init.Start(_runc.Path, _runc.RunArguments(container.Id, container.Bundle, container.Init.PidFile, log), _lifetime.Token);
            await RequireRunningAsync(container.Init, log, $"runc could not start container {container.Id}", cancellationToken).ConfigureAwait(false);
            LogStarted(_logger, container.Id, container.Init.Pid ?? 0);
        }
        finally
        {
            container.Gate.Release();
        }
    }

    public async Task ExecAsync(string containerId, string execId, string processJson, CancellationToken cancellationToken)
    {
        var container = Find(containerId);
        var exec = RequireId(execId, "exec_id");
        var process = ParseProcess(processJson);
        await container.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!container.Init.IsStarted || container.Init.HasExited)
            {
                throw new TtrpcException(TtrpcStatusCode.FailedPrecondition, $"container {container.Id} is not running: cannot exec in it");
            }

            var processFile = Path.Combine(container.Bundle, $"exec-{exec}.json");
            var log = Path.Combine(container.Bundle, $"exec-{exec}.log");
            var child = new ContainerProcess(exec, Path.Combine(container.Bundle, $"exec-{exec}.pid"));
            if (!container.TryAddExec(child))
            {
                throw new TtrpcException(TtrpcStatusCode.AlreadyExists, $"container {container.Id} already has a process with exec_id {exec}");
            }

            try
            {
                await File.WriteAllTextAsync(processFile, process.ToJsonString(), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), cancellationToken).ConfigureAwait(false);
                child.Start(_runc.Path, _runc.ExecArguments(container.Id, processFile, child.PidFile, log), _lifetime.Token);
                await RequireRunningAsync(child, log, $"runc could not exec {exec} in container {container.Id}", cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                if (!child.IsStarted)
                {
                    container.RemoveExec(exec);
                }

                throw;
            }
        }
        finally
        {
            container.Gate.Release();
        }
    }

    public async Task SignalAsync(string containerId, string execId, int signal, CancellationToken cancellationToken)
    {
        var container = Find(containerId);
        var process = FindProcess(container, execId);
        if (!process.IsStarted)
        {
            throw new TtrpcException(TtrpcStatusCode.FailedPrecondition, $"container {container.Id} has not been started: nothing to signal");
        }

        if (process.HasExited)
        {
            return;
        }

        if (execId.Length == 0)
        {
            try
            {
                await _runc.KillAsync(container.Id, signal, cancellationToken).ConfigureAwait(false);
            }
            catch (RuncException ex) when (!process.HasExited)
            {
                throw new TtrpcException(TtrpcStatusCode.Internal, ex.Message);
            }
        }
        else if (process.Pid is { } pid)
        {
            Signals.Send(pid, signal);
        }
    }

    public async Task<ProcessExit> WaitAsync(string containerId, string execId, CancellationToken cancellationToken)
    {
        var process = FindProcess(Find(containerId), execId);
        return await process.Exited.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task<(byte[] Data, bool Eof)> ReadAsync(string containerId, string execId, bool stderr, uint length, CancellationToken cancellationToken)
    {
        var process = FindProcess(Find(containerId), execId);
        var max = length == 0 ? DefaultReadBytes : (int)Math.Min(length, MaxReadBytes);
        return (stderr ? process.Stderr : process.Stdout).ReadAsync(max, cancellationToken);
    }

    public async Task<int> WriteStdinAsync(string containerId, string execId, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var process = FindProcess(Find(containerId), execId);
        try
        {
            return await process.WriteStdinAsync(data, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or ObjectDisposedException)
        {
            throw new TtrpcException(TtrpcStatusCode.FailedPrecondition, $"cannot write to the stdin of {Describe(containerId, execId)}: {ex.Message}");
        }
    }

    public Task CloseStdinAsync(string containerId, string execId, CancellationToken cancellationToken) =>
        FindProcess(Find(containerId), execId).CloseStdinAsync(cancellationToken);

    public async Task RemoveAsync(string containerId, TimeSpan? stopTimeout, CancellationToken cancellationToken)
    {
        var container = Find(containerId);
        await container.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (container.Removed)
            {
                return;
            }

            await StopAsync(container, stopTimeout ?? DefaultStopTimeout, cancellationToken).ConfigureAwait(false);
            try
            {
                await _runc.DeleteAsync(container.Id, cancellationToken).ConfigureAwait(false);
            }
            catch (RuncException ex)
            {
                LogDeleteFailed(_logger, container.Id, ex.Message);
            }

            try
            {
                await _bundles.RemoveAsync(container.Bundle, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or InvalidOperationException or UnauthorizedAccessException)
            {
                throw new TtrpcException(TtrpcStatusCode.Internal, $"cannot remove the bundle of container {container.Id}: {ex.Message}");
            }

            container.Removed = true;
            _containers.Remove(container.Id);

            LogRemoved(_logger, container.Id);
        }
        finally
        {
            container.Gate.Release();
        }
    }

    public IReadOnlyList<ContainerInfo> List()
    {
        return [.. _containers.Snapshot().OrderBy(c => c.CreatedAt).Select(Describe)];
    }

    public async ValueTask DisposeAsync()
    {
        var containers = _containers.Snapshot();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        foreach (var container in containers)
        {
            try
            {
                await RemoveAsync(container.Id, TimeSpan.FromSeconds(5), limit.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is TtrpcException or OperationCanceledException or IOException)
            {
                LogCleanupFailed(_logger, container.Id, ex.Message);
            }
        }

        await _lifetime.CancelAsync().ConfigureAwait(false);
        _lifetime.Dispose();
    }

    private static ContainerInfo Describe(Container container)
    {
        var init = container.Init;
        var info = new ContainerInfo
        {
            ContainerId = container.Id,
            Bundle = container.Bundle,
            Image = container.Image,
            Status = !init.IsStarted ? ContainerStatus.Created : init.HasExited ? ContainerStatus.Stopped : ContainerStatus.Running,
            Pid = (uint)(init.Pid ?? 0),
            CreatedAt = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(container.CreatedAt),
        };
        if (init.StartedAt is { } started)
        {
            info.StartedAt = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(started);
        }

        if (init.HasExited)
        {
            var exit = init.Exited.Result;
            info.ExitStatus = exit.Status;
            info.ExitedAt = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(exit.At);
        }

        return info;
    }

    private static JsonObject ParseProcess(string json)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(json);
        }
        catch (System.Text.Json.JsonException ex)
        {
            throw new TtrpcException(TtrpcStatusCode.InvalidArgument, $"process_json is not valid JSON: {ex.Message}");
        }

        if (node is not JsonObject process || process["args"] is not JsonArray { Count: > 0 })
        {
            throw new TtrpcException(TtrpcStatusCode.InvalidArgument, "process_json must be an OCI process object with a non-empty \"args\"");
        }

        if (process["terminal"] is JsonValue terminal && terminal.TryGetValue<bool>(out var wantsTerminal) && wantsTerminal)
        {
            throw new TtrpcException(TtrpcStatusCode.InvalidArgument, "process_json asks for a terminal: this agent runs processes with pipes only");
        }

        process["terminal"] = false;
        process["cwd"] ??= "/";
        process["user"] ??= new JsonObject { ["uid"] = 0, ["gid"] = 0 };
        process["env"] ??= new JsonArray("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        return process;
    }

    private static string RequireId(string value, string field) =>
        IdPattern().IsMatch(value)
            ? value
            : throw new TtrpcException(TtrpcStatusCode.InvalidArgument, $"{field} \"{value}\" is not valid: use 1 to 128 letters, digits, '_', '-' or '.', not starting with '.' or '-'");

    private static string Describe(string containerId, string execId) =>
        execId.Length == 0 ? $"container {containerId}" : $"process {execId} of container {containerId}";

    private static ContainerProcess FindProcess(Container container, string execId) =>
        container.FindProcess(execId)
            ?? throw new TtrpcException(TtrpcStatusCode.NotFound, $"container {container.Id} has no process with exec_id \"{execId}\"");

    private static async Task RequireRunningAsync(ContainerProcess process, string log, string failure, CancellationToken cancellationToken)
    {
        var pid = await process.WaitForPidAsync(StartTimeout, cancellationToken).ConfigureAwait(false);
        if (pid is not null)
        {
            return;
        }

        if (process.HasExited)
        {
            var exit = await process.Exited.ConfigureAwait(false);
            throw new TtrpcException(TtrpcStatusCode.Internal, $"{failure}: {Runc.LastError(log) ?? $"runc exited with status {exit.Status}"}");
        }

        throw new TtrpcException(TtrpcStatusCode.DeadlineExceeded, $"{failure}: runc reported no pid within {StartTimeout.TotalSeconds} s");
    }

    private async Task StopAsync(Container container, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var running = new List<ContainerProcess>();
        if (container.Init.IsStarted && !container.Init.HasExited)
        {
            running.Add(container.Init);
            try
            {
                await _runc.KillAsync(container.Id, 9, cancellationToken).ConfigureAwait(false);
            }
            catch (RuncException ex)
            {
                LogKillFailed(_logger, container.Id, ex.Message);
            }
        }

        foreach (var exec in container.Execs.Where(e => e.IsStarted && !e.HasExited))
        {
            running.Add(exec);
            if (exec.Pid is { } pid)
            {
                Signals.Send(pid, Signals.Kill);
            }
        }

        var all = Task.WhenAll(running.Select(p => p.Exited));
        try
        {
            await all.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // runc did not end them: kill the runc children themselves so nothing keeps the rootfs busy.
            foreach (var process in running)
            {
                process.KillRunc();
            }

            await all.WaitAsync(DefaultStopTimeout, cancellationToken).ConfigureAwait(false);
        }
    }

    private Container Find(string containerId) => _containers.Find(containerId);

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex IdPattern();

    [LoggerMessage(Level = LogLevel.Information, Message = "created container {Id} from {Image} in {Bundle}")]
    private static partial void LogCreated(ILogger logger, string id, string image, string bundle);

    [LoggerMessage(Level = LogLevel.Information, Message = "started container {Id} (pid {Pid})")]
    private static partial void LogStarted(ILogger logger, string id, int pid);

    [LoggerMessage(Level = LogLevel.Information, Message = "removed container {Id}")]
    private static partial void LogRemoved(ILogger logger, string id);

    [LoggerMessage(Level = LogLevel.Warning, Message = "runc kill of {Id} failed: {Error}")]
    private static partial void LogKillFailed(ILogger logger, string id, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "runc delete of {Id} failed: {Error}")]
    private static partial void LogDeleteFailed(ILogger logger, string id, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "cleaning up container {Id} at shutdown failed: {Error}")]
    private static partial void LogCleanupFailed(ILogger logger, string id, string error);
}
