using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using GuestPull.Linux;
using GuestPull.Api.Agent;
using GuestPull.Shim.Daemon;
using GuestPull.Shim.Rootfs;
using GuestPull.Ttrpc;
using Microsoft.Extensions.Logging;

namespace GuestPull.Shim.Sandbox;

/// <summary>
/// A pod sandbox made of namespaces: <c>unshare</c> gives <c>guestpull agent</c> new mount, PID, UTS
/// and IPC namespaces, a fresh /proc and a private tmpfs at /run/kata-containers (the guest's memory);
/// <c>nsenter --net</c> puts it in the pod's network namespace first. The agent is PID 1 of its PID
/// namespace, so killing it (unshare's --kill-child) ends every process of the pod.
/// </summary>
internal sealed partial class NamespaceSandbox : ISandbox
{
    public const string GuestMemory = "/run/kata-containers";

    private readonly SandboxRequest _request;
    private readonly Process _process;
    private readonly ILogger _logger;
    private readonly int _initPid;
    private readonly int _level;
    private readonly Task _exited;
    private int _stopped;

    private NamespaceSandbox(SandboxRequest request, Process process, AgentClient agent, int initPid, int level, ILogger logger)
    {
        _request = request;
        _process = process;
        Agent = agent;
        _initPid = initPid;
        _level = level;
        _logger = logger;
        _exited = process.WaitForExitAsync();
    }

    public string Id => _request.SandboxId;

    public AgentClient Agent { get; }

    public string SharedDirectory => Path.Combine(_request.Config.SharedRoot, _request.SandboxId);

    public Task Exited => _exited;

    public static async Task<ISandbox> StartAsync(SandboxRequest request, ILogger logger, CancellationToken cancellationToken)
    {
        var layout = request.Layout;
        Directory.CreateDirectory(layout.StateDirectory);
        // Owner-only: the agent's table may carry a decryption key's password.
        AtomicFile.Write(layout.AgentConfig, Encoding.UTF8.GetBytes(request.Config.AgentToml), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var shared = Path.Combine(request.Config.SharedRoot, request.SandboxId);
        await File.WriteAllTextAsync(layout.SharedDirectoryFile, shared, cancellationToken).ConfigureAwait(false);
        SharedMounts.Prepare(shared);

        // The tmpfs needs a mount point; the empty directory is all the host ever holds there.
        Directory.CreateDirectory(GuestMemory);
        if (File.Exists(layout.AgentSocket))
        {
            File.Delete(layout.AgentSocket);
        }

        var guestpull = GuestPullExecutable.Resolve(request.Config.GuestPullPath);
        var start = new ProcessStartInfo
        {
            FileName = request.NetworkNamespacePath is null ? "unshare" : "nsenter",
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in CommandLine(request, guestpull).Skip(1))
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new ShimException("could not start unshare for the sandbox");
        await File.WriteAllTextAsync(layout.SandboxPidFile, process.Id.ToString(CultureInfo.InvariantCulture), CancellationToken.None).ConfigureAwait(false);
        _ = ForwardOutputAsync(process.StandardOutput, logger, request.SandboxId);
        var errors = new BoundedLines(40);
        _ = ForwardOutputAsync(process.StandardError, logger, request.SandboxId, errors);
        try
        {
            var agent = await ConnectAsync(layout.AgentSocket, process, errors, request.Config.AgentStartTimeout, cancellationToken).ConfigureAwait(false);
            var initPid = ProcFs.ChildrenOf(process.Id).FirstOrDefault();
            var level = initPid > 0 && ProcFs.NamespacePids(initPid) is { Length: > 1 } pids ? pids.Length - 1 : 1;
            var sandbox = new NamespaceSandbox(request, process, agent, initPid, level, logger);
            LogStarted(logger, request.SandboxId, process.Id, initPid, request.NetworkNamespacePath ?? "(host)");
            return sandbox;
        }
        catch
        {
            KillAndWait(process);
            await SandboxTraces.RemoveAsync(layout, shared).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The full command line (for logs and tests): [nsenter --net=P --] unshare … sh -c SCRIPT sh guestpull… agent ….</summary>
    public static IReadOnlyList<string> CommandLine(SandboxRequest request, GuestPullExecutable guestpull)
    {
        var command = new List<string>();
        if (request.NetworkNamespacePath is { } netns)
        {
            command.AddRange(["nsenter", "--net=" + netns, "--"]);
        }

        command.AddRange([
            "unshare", "--mount", "--pid", "--fork", "--uts", "--ipc", "--mount-proc",
            "--propagation", "slave", "--kill-child",
            "sh", "-c", $"mount -t tmpfs -o mode=0755 guestpull-guest {GuestMemory} && exec \"$@\"", "sh",
        ]);
        command.AddRange(guestpull.Command("agent", "--listen", "unix://" + request.Layout.AgentSocket, "--config", request.Layout.AgentConfig));
        return command;
    }

    public string GuestPathOf(string hostPath) => hostPath;

    public Task<RootfsPlan> PrepareContainerAsync(ContainerSpecRequest request, CancellationToken cancellationToken)
    {
        var spec = request.Spec;
        var rootPath = spec["root"]?["path"]?.GetValue<string>() ?? "rootfs";
        var plan = RootfsPlanner.Plan(request.ContainerId, request.Bundle, rootPath, request.Rootfs, request.Annotations, request.IsSandbox, SharedDirectory, GuestMemory, GuestPathOf, _request.Config.AllowHostRootfs);
        try
        {
            SpecRewriter.SetRoot(spec, plan.RootPath);
            SpecRewriter.TranslateNamespaces(spec, TranslateNamespacePath);
            _ = SpecRewriter.ShareHostMounts(spec, Path.Combine(SharedDirectory, request.ContainerId), GuestPathOf);
        }
        catch
        {
            ReleaseContainer(request.ContainerId);
            throw;
        }

        return Task.FromResult(plan);
    }

    public void ReleaseContainer(string containerId)
    {
        var directory = Path.Combine(SharedDirectory, containerId);
        try
        {
            SharedMounts.Remove(directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogCleanupFailed(_logger, containerId, directory, ex.Message);
        }
    }

    public uint ReportedPid(bool isSandboxContainer, uint guestPid) => HostPidOf(guestPid);

    public uint HostPidOf(uint guestPid)
    {
        if (guestPid == 0 || _initPid == 0)
        {
            return 0;
        }

        foreach (var pid in ProcFs.AllPids())
        {
            if (ProcFs.NamespacePids(pid) is { } pids && pids.Length > _level && pids[_level] == guestPid && ProcFs.DescendsFrom(pid, _initPid))
            {
                return (uint)pid;
            }
        }

        return 0;
    }

    public string TranslateNamespacePath(string hostPath)
    {
        var match = ProcNamespacePath().Match(hostPath);
        if (!match.Success || _initPid == 0)
        {
            return hostPath;
        }

        var hostPid = int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        if (ProcFs.NamespacePids(hostPid) is { } pids && pids.Length > _level && ProcFs.DescendsFrom(hostPid, _initPid))
        {
            return $"/proc/{pids[_level]}/ns/{match.Groups[2].Value}";
        }

        throw new ShimException($"namespace path {hostPath} names host process {hostPid}, which is not in sandbox {Id}; a container can only join namespaces of its own pod");
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1)
        {
            return;
        }

        // runc removes the containers' cgroups on delete; a plain kill would leave them behind.
        await GuestContainers.RemoveAllAsync(Agent, cancellationToken, error => LogRemoveFailed(_logger, Id, error)).ConfigureAwait(false);

        await Agent.DisposeAsync().ConfigureAwait(false);
        KillAndWait(_process);
        await SandboxTraces.WaitGoneAsync(_initPid).ConfigureAwait(false);
        await SandboxTraces.RemoveAsync(_request.Layout, SharedDirectory).ConfigureAwait(false);
        LogStopped(_logger, Id);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _process.Dispose();
    }

    private static void KillAndWait(Process process)
    {
        try
        {
            // unshare's --kill-child turns this into SIGKILL for the namespace's PID 1, which takes every process of the pod with it.
            process.Kill();
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
    }

    private static async Task<AgentClient> ConnectAsync(string socket, Process process, BoundedLines errors, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (process.HasExited)
            {
                await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
                throw new ShimException($"the sandbox's agent exited with status {process.ExitCode} before serving:\n{errors}");
            }

            if (File.Exists(socket))
            {
                try
                {
                    var agent = new AgentClient(await TtrpcClient.ConnectAsync(socket, cancellationToken: cancellationToken).ConfigureAwait(false));
                    try
                    {
                        await agent.CheckAsync(cancellationToken).ConfigureAwait(false);
                        return agent;
                    }
                    catch
                    {
                        await agent.DisposeAsync().ConfigureAwait(false);
                        throw;
                    }
                }
                catch (TtrpcException ex) when (ex.StatusCode == TtrpcStatusCode.Unavailable)
                {
                    // Bound but not accepting yet.
                }
            }

            if (deadline.Elapsed > timeout)
            {
                throw new ShimException($"the sandbox's agent did not answer on {socket} within {timeout.TotalSeconds:0} s:\n{errors}");
            }

            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task ForwardOutputAsync(StreamReader reader, ILogger logger, string sandboxId, BoundedLines? keep = null)
    {
        while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            keep?.Add(line);
            LogAgentOutput(logger, sandboxId, line);
        }
    }

    [GeneratedRegex(@"^/proc/([0-9]+)/ns/([a-z_]+)$")]
    private static partial Regex ProcNamespacePath();

    [LoggerMessage(Level = LogLevel.Information, Message = "sandbox {SandboxId} started: unshare pid {Pid}, guest init pid {InitPid}, network {Netns}")]
    private static partial void LogStarted(ILogger logger, string sandboxId, int pid, int initPid, string netns);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{ContainerId}: cannot remove {Directory}: {Error}")]
    private static partial void LogCleanupFailed(ILogger logger, string containerId, string directory, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "sandbox {SandboxId} stopped and removed")]
    private static partial void LogStopped(ILogger logger, string sandboxId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "sandbox {SandboxId}: removing its containers failed, killing it anyway: {Error}")]
    private static partial void LogRemoveFailed(ILogger logger, string sandboxId, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "agent[{SandboxId}]: {Line}")]
    private static partial void LogAgentOutput(ILogger logger, string sandboxId, string line);
}
