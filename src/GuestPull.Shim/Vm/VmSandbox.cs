using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using GuestPull.Api.Agent;
using GuestPull.Configuration.Sandbox;
using GuestPull.Linux;
using GuestPull.Shim.Rootfs;
using GuestPull.Shim.Sandbox;
using GuestPull.Ttrpc;
using Microsoft.Extensions.Logging;

namespace GuestPull.Shim.Vm;

/// <summary>
/// A pod sandbox that is a QEMU virtual machine (Kata's model): the guest kernel boots the guest image's
/// initramfs with the pod's initdata appended, <c>guestpull-agent</c> serves ttrpc on a virtio-serial
/// port, images are pulled and unpacked into guest memory and run there with runc. Nothing of the host's
/// file system is shared: the files the spec takes from the host are copied in through the agent. QEMU
/// runs in the pod's network namespace, its console goes to the shim's log.
/// </summary>
internal sealed partial class VmSandbox : ISandbox
{
    /// <summary>Where the agent puts bundles in the guest.</summary>
    public const string GuestBundleRoot = "/run/kata-containers";

    private static readonly TimeSpan PowerOffTimeout = TimeSpan.FromSeconds(10);

    private readonly SandboxRequest _request;
    private readonly Process _qemu;
    private readonly ILogger _logger;
    private readonly BoundedLines _console;
    private readonly Task _exited;
    private readonly NodeCacheRelay? _relay;
    private uint _pauseGuestPid;
    private int _stopping;

    private VmSandbox(SandboxRequest request, Process qemu, AgentClient agent, BoundedLines console, NodeCacheRelay? relay, ILogger logger)
    {
        _request = request;
        _relay = relay;
        _qemu = qemu;
        Agent = agent;
        _console = console;
        _logger = logger;
        _exited = qemu.WaitForExitAsync();
        _ = WatchAsync();
    }

    public string Id => _request.SandboxId;

    public AgentClient Agent { get; }

    public Task Exited => _exited;

    /// <summary>QEMU's pid: what containerd is told for every container, as Kata reports its hypervisor's.</summary>
    public int HypervisorPid => _qemu.Id;

    public static async Task<ISandbox> StartAsync(SandboxRequest request, ILogger logger, CancellationToken cancellationToken)
    {
        var layout = request.Layout;
        var settings = request.Config.Vm;
        foreach (var (what, path) in new[] { ("kernel", settings.KernelPath), ("initrd", settings.InitrdPath) })
        {
            if (!File.Exists(path))
            {
                throw new ShimException($"the VM's {what} {path} does not exist: install the guest image (guestpull install) or set [vm] {what} in the shim config");
            }
        }

        var (accelerator, reason) = AcceleratorSelector.Resolve(settings.Accelerator);
        if (accelerator == VmAccelerator.Tcg && settings.Accelerator == VmAccelerator.Auto)
        {
            LogSoftwareEmulation(logger, request.SandboxId, reason);
        }

        Directory.CreateDirectory(layout.StateDirectory);
        if (File.Exists(layout.AgentSocket))
        {
            File.Delete(layout.AgentSocket);
        }

        var initrd = Path.Combine(layout.StateDirectory, "initrd.img");
        await WriteInitrdAsync(settings.InitrdPath, GuestInitData.Build(request.Config, hostNetwork: request.NetworkNamespacePath is null), initrd, cancellationToken).ConfigureAwait(false);
        var launch = new VmLaunch(
            settings,
            accelerator,
            settings.Vcpus + PodResources.ExtraVcpus(request.Annotations),
            settings.MemoryMiB + PodResources.ExtraMemoryMiB(request.Annotations),
            initrd,
            layout.AgentSocket,
            request.NetworkNamespacePath,
            "guestpull-" + request.SandboxId[..Math.Min(12, request.SandboxId.Length)]);
        var relay = StartNodeCacheRelay(request, logger);
        var command = QemuCommandLine.Build(launch);
        var start = new ProcessStartInfo
        {
            FileName = command[0],
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in command.Skip(1))
        {
            start.ArgumentList.Add(argument);
        }

        var booting = Stopwatch.StartNew();
        Process qemu;
        try
        {
            qemu = Process.Start(start) ?? throw new ShimException($"could not start {command[0]}");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            if (relay is not null)
            {
                await relay.DisposeAsync().ConfigureAwait(false);
            }

            await SandboxTraces.RemoveAsync(layout, null).ConfigureAwait(false);
            throw new ShimException($"could not start QEMU ({command[0]}): {ex.Message}; install qemu-system-x86 or set [vm] qemu_path", ex);
        }

        await File.WriteAllTextAsync(layout.SandboxPidFile, qemu.Id.ToString(CultureInfo.InvariantCulture), CancellationToken.None).ConfigureAwait(false);
        var console = new BoundedLines(60);
        _ = ForwardAsync(qemu.StandardOutput, console, line => LogConsole(logger, request.SandboxId, line));
        _ = ForwardAsync(qemu.StandardError, console, line => LogQemu(logger, request.SandboxId, line));
        try
        {
            var agent = await SerialAgentConnector.ConnectAsync(layout.AgentSocket, () => ExitStatusOf(qemu), console.ToString, request.Config.AgentStartTimeout, cancellationToken).ConfigureAwait(false);

            // QEMU read the initrd into guest memory at start; the host copy is not needed any more.
            File.Delete(initrd);
            LogStarted(logger, request.SandboxId, qemu.Id, AcceleratorName(accelerator), launch.Vcpus, launch.MemoryMiB, request.NetworkNamespacePath ?? "(node)", booting.ElapsedMilliseconds);
            return new VmSandbox(request, qemu, agent, console, relay, logger);
        }
        catch
        {
            await KillAsync(qemu).ConfigureAwait(false);
            qemu.Dispose();
            if (relay is not null)
            {
                await relay.DisposeAsync().ConfigureAwait(false);
            }

            await SandboxTraces.RemoveAsync(layout, null).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>"kvm" or "tcg", as QEMU's -accel says it.</summary>
    public static string AcceleratorName(VmAccelerator accelerator) => accelerator == VmAccelerator.Kvm ? "kvm" : "tcg";

    public async Task<RootfsPlan> PrepareContainerAsync(ContainerSpecRequest request, CancellationToken cancellationToken)
    {
        var plan = RootfsPlanner.PlanInGuest(request.ContainerId, request.Rootfs, request.Annotations, request.IsSandbox, GuestBundleRoot);
        SpecRewriter.SetRoot(request.Spec, plan.RootPath);
        RewriteNamespaces(request.Spec, request.ContainerId);
        await GuestVolumes.CopyAsync(request.Spec, request.ContainerId, Id, Agent, cancellationToken).ConfigureAwait(false);
        return plan;
    }

    // Nothing was made on the host; what CopyFile put in the guest lives in guest memory and goes with the VM.
    public void ReleaseContainer(string containerId)
    {
    }

    public uint ReportedPid(bool isSandboxContainer, uint guestPid)
    {
        if (isSandboxContainer)
        {
            _pauseGuestPid = guestPid;
        }

        return (uint)_qemu.Id;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _stopping, 1) == 1)
        {
            return;
        }

        if (!_qemu.HasExited)
        {
            // runc in the guest stops the containers; then the VM is powered off (its memory is all there is).
            await GuestContainers.RemoveAllAsync(Agent, cancellationToken, error => LogRemoveFailed(_logger, Id, error)).ConfigureAwait(false);
        }

        await Agent.DisposeAsync().ConfigureAwait(false);
        await KillAsync(_qemu).ConfigureAwait(false);
        if (_relay is not null)
        {
            await _relay.DisposeAsync().ConfigureAwait(false);
        }

        await SandboxTraces.RemoveAsync(_request.Layout, null).ConfigureAwait(false);
        LogStopped(_logger, Id);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _qemu.Dispose();
    }

    // The VM is the pod's network: containers stay in the guest's network namespace. The other namespaces
    // CRI points at the sandbox container's (/proc/<the pid it was told>/ns/…) become the pause's in the guest.
    private void RewriteNamespaces(JsonObject spec, string containerId)
    {
        if (spec["linux"] is not JsonObject linux || linux["namespaces"] is not JsonArray namespaces)
        {
            return;
        }

        foreach (var entry in namespaces.OfType<JsonObject>().ToList())
        {
            if (entry["type"]?.GetValue<string>() == "network")
            {
                _ = namespaces.Remove(entry);
                continue;
            }

            if (entry["path"] is not JsonValue value || !value.TryGetValue<string>(out var path) || path.Length == 0)
            {
                continue;
            }

            var match = ProcNamespacePath().Match(path);
            if (!match.Success || int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) != _qemu.Id || _pauseGuestPid == 0)
            {
                throw new ShimException($"container {containerId}: the namespace path {path} is not one of pod {Id}'s; in a VM sandbox a container can only join its pod's namespaces");
            }

            entry["path"] = $"/proc/{_pauseGuestPid}/ns/{match.Groups[2].Value}";
        }
    }

    // A pod with its own network namespace reaches the node's loopback only through the shim. Without the
    // relay the guest's pulls still succeed from the registries, so a relay that cannot start is a warning.
    private static NodeCacheRelay? StartNodeCacheRelay(SandboxRequest request, ILogger logger)
    {
        if (request.NetworkNamespacePath is not { } netns
            || request.Config.AgentEntries.FirstOrDefault(entry => entry.Key == "node_cache").Value is not string nodeCache
            || GuestNodeCache.Resolve(nodeCache).NodeEndpoint is not { } cache)
        {
            return null;
        }

        try
        {
            var relay = NodeCacheRelay.Start(netns, cache, logger);
            LogRelay(logger, request.SandboxId, relay.PodEndpoint.ToString(), netns, cache.ToString());
            return relay;
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or UnauthorizedAccessException)
        {
            LogRelayFailed(logger, request.SandboxId, cache.ToString(), netns, ex.Message);
            return null;
        }
    }

    private async Task WatchAsync()
    {
        await _exited.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (Volatile.Read(ref _stopping) == 0)
        {
            // kill -9 of QEMU, a guest kernel panic (panic=-1 and -no-reboot end QEMU) or the agent's death:
            // every container's wait fails with the agent's connection, and each exits with 137.
            LogDied(_logger, Id, _qemu.ExitCode, _console.ToString());
        }
    }

    private static async Task WriteInitrdAsync(string baseInitrd, byte[] initData, string path, CancellationToken cancellationToken)
    {
        // The kernel unpacks concatenated archives in order, so the initdata's files land over the image's.
        var output = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
        await using (output.ConfigureAwait(false))
        {
            var input = new FileStream(baseInitrd, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous);
            await using (input.ConfigureAwait(false))
            {
                await input.CopyToAsync(output, cancellationToken).ConfigureAwait(false);
            }

            // A compressed archive's end is padded to 4 bytes before the next one starts.
            while (output.Length % 4 != 0)
            {
                output.WriteByte(0);
            }

            await output.WriteAsync(initData, cancellationToken).ConfigureAwait(false);
        }
    }

    private static int? ExitStatusOf(Process qemu)
    {
        if (!qemu.HasExited)
        {
            return null;
        }

        // HasExited can be true before the exit code is collected; WaitForExit makes it so.
        qemu.WaitForExit();
        return qemu.ExitCode;
    }

    private static async Task KillAsync(Process qemu)
    {
        if (qemu.HasExited)
        {
            return;
        }

        // SIGTERM makes QEMU quit at once (nothing to flush: the guest's disks are its memory); SIGKILL if it hangs.
        _ = Signals.TrySend(qemu.Id, Signals.Terminate);
        using var timeout = new CancellationTokenSource(PowerOffTimeout);
        try
        {
            await qemu.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            _ = Signals.TrySend(qemu.Id, Signals.Kill);
            await qemu.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    private static async Task ForwardAsync(StreamReader reader, BoundedLines keep, Action<string> log)
    {
        while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            var text = line.TrimEnd('\r');
            keep.Add(text);
            log(text);
        }
    }

    [GeneratedRegex(@"^/proc/([0-9]+)/ns/([a-z_]+)$")]
    private static partial Regex ProcNamespacePath();

    [LoggerMessage(Level = LogLevel.Warning, Message = "sandbox {SandboxId}: KVM cannot run the guest ({Reason}); using TCG, QEMU's software emulation, which is much slower")]
    private static partial void LogSoftwareEmulation(ILogger logger, string sandboxId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "sandbox {SandboxId} started: QEMU pid {Pid}, accel {Accelerator}, {Vcpus} vCPU, {MemoryMiB} MiB, network {Netns}; agent answered after {BootMs} ms")]
    private static partial void LogStarted(ILogger logger, string sandboxId, int pid, string accelerator, int vcpus, int memoryMiB, string netns, long bootMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "sandbox {SandboxId} powered off and removed")]
    private static partial void LogStopped(ILogger logger, string sandboxId);

    [LoggerMessage(Level = LogLevel.Information, Message = "sandbox {SandboxId}: the node cache {Cache} is relayed to {Relay} in {Netns}, where the guest reaches it at the gateway")]
    private static partial void LogRelay(ILogger logger, string sandboxId, string relay, string netns, string cache);

    [LoggerMessage(Level = LogLevel.Warning, Message = "sandbox {SandboxId}: cannot relay the node cache {Cache} into {Netns} ({Error}); the guest pulls from the registries")]
    private static partial void LogRelayFailed(ILogger logger, string sandboxId, string cache, string netns, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "sandbox {SandboxId}: removing its containers failed, powering it off anyway: {Error}")]
    private static partial void LogRemoveFailed(ILogger logger, string sandboxId, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "sandbox {SandboxId}: the VM died (QEMU exit status {Status}); its containers exit with 137. Last console lines:\n{Console}")]
    private static partial void LogDied(ILogger logger, string sandboxId, int status, string console);

    [LoggerMessage(Level = LogLevel.Information, Message = "guest[{SandboxId}]: {Line}")]
    private static partial void LogConsole(ILogger logger, string sandboxId, string line);

    [LoggerMessage(Level = LogLevel.Warning, Message = "qemu[{SandboxId}]: {Line}")]
    private static partial void LogQemu(ILogger logger, string sandboxId, string line);
}
