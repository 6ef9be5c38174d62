using System.Text;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using GuestPull.Linux;
using GuestPull.Api.Containerd.Events;
using GuestPull.Api.Containerd.Task.V2;
using GuestPull.Testing;
using GuestPull.Testing.Traits;
using GuestPull.Ttrpc;

namespace GuestPull.Shim.Tests.Process;

/// <summary>Exec, stdin, kill and error paths of the real shim and agent (needs root, as CI has).</summary>
[Trait(Requires.Trait, Requires.Components)]
public sealed class ShimExecTests : IClassFixture<BusyboxImageFixture>
{
    private const string VolumeJson = """{"volume_type":"image_guest_pull","image_pull":{"metadata":{}}}""";
    private readonly BusyboxImageFixture _image;

    public ShimExecTests(BusyboxImageFixture image) => _image = image;

    private static CancellationToken Timeout => new CancellationTokenSource(TimeSpan.FromMinutes(6)).Token;

    [Fact]
    public async Task ExecRunsInARunningContainerWithStdinAndKillEndsIt()
    {
        var ct = Timeout;
        await using var registry = await RegistryInstance.StartAsync(new RegistryOptions { Name = "shim-exec" }, ct);
        var imageName = await PushAsync(registry, ct);
        // The plain-HTTP registry is allowed only by the config the runtime options name (CRI's ConfigPath),
        // not by the shim's own config: the pull works only if the sandbox honours the options.
        await using var shim = await ShimHarness.CreateAsync(null, ct);
        var sandboxId = "sb" + Guid.NewGuid().ToString("N")[..10];
        await using var client = await StartSandboxAsync(shim, sandboxId, ct, shim.RuntimeOptions($"insecure_registries = [\"{registry.Host}\"]\n"));

        var id = "top" + Guid.NewGuid().ToString("N")[..8];
        var spec = ShimHarness.Spec(sandboxId, "container", ["sleep", "600"], imageName);
        spec["linux"]!["cgroupsPath"] = "/" + id;
        var bundle = shim.WriteBundle(id, spec);
        await shim.StartShimAsync(id, bundle, ct);
        await ShimHarness.CallAsync<CreateTaskRequest, CreateTaskResponse>(client, "Create", new CreateTaskRequest { Id = id, Bundle = bundle, Rootfs = { ShimHarness.GuestPullRootfs(VolumeJson) } }, ct);
        var pid = (await ShimHarness.CallAsync<StartRequest, StartResponse>(client, "Start", new StartRequest { Id = id }, ct)).Pid;
        var pids = await ShimHarness.CallAsync<PidsRequest, PidsResponse>(client, "Pids", new PidsRequest { Id = id }, ct);
        Assert.Equal(pid, Assert.Single(pids.Processes).Pid);

        // Stats: runc in the guest made the container's cgroups on the host's hierarchy, and the shim reads them.
        var stats = await ShimHarness.CallAsync<StatsRequest, StatsResponse>(client, "Stats", new StatsRequest { Id = id }, ct);
        Assert.Equal("io.containerd.cgroups.v1.Metrics", stats.Stats.TypeUrl);
        var metrics = Api.Containerd.Cgroups.V1.Metrics.Parser.ParseFrom(stats.Stats.Value);
        Assert.True(metrics.Pids.Current >= 1, metrics.ToString());
        Assert.True(metrics.Memory.Usage.Usage > 0, metrics.ToString());

        // An exec reading stdin: what containerd writes into the stdin fifo comes back on stdout.
        var stdinFifo = await shim.MakeFifoAsync("exec-stdin", ct);
        var stdoutFifo = await shim.MakeFifoAsync("exec-stdout", ct);
        var stdout = Task.Run(async () =>
        {
            await using var fifo = new FileStream(stdoutFifo, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1);
            using var reader = new StreamReader(fifo, Encoding.UTF8);
            return await reader.ReadToEndAsync();
        });
        var stdin = Task.Run(async () =>
        {
            await using var fifo = new FileStream(stdinFifo, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1);
            await fifo.WriteAsync("from stdin\n"u8.ToArray());
        });
        var process = new JsonObject { ["args"] = new JsonArray("sh", "-c", "echo exec-hello; cat; exit 7"), ["env"] = new JsonArray("PATH=/bin"), ["cwd"] = "/", ["user"] = new JsonObject { ["uid"] = 0, ["gid"] = 0 } };
        await ShimHarness.CallAsync<ExecProcessRequest, Empty>(client, "Exec", new ExecProcessRequest
        {
            Id = id,
            ExecId = "exec1",
            Stdin = stdinFifo,
            Stdout = stdoutFifo,
            Spec = new Any { TypeUrl = "types.containerd.io/opencontainers/runtime-spec/1/Process", Value = ByteString.CopyFromUtf8(process.ToJsonString()) },
        }, ct);
        await ShimHarness.CallAsync<StartRequest, StartResponse>(client, "Start", new StartRequest { Id = id, ExecId = "exec1" }, ct);
        await stdin.WaitAsync(ct);
        var execExit = await ShimHarness.CallAsync<WaitRequest, WaitResponse>(client, "Wait", new WaitRequest { Id = id, ExecId = "exec1" }, ct);
        Assert.Equal(7u, execExit.ExitStatus);
        Assert.Equal("exec-hello\nfrom stdin\n", await stdout.WaitAsync(ct));
        var execEvent = await shim.Events.WaitForAsync<TaskExit>("/tasks/exit", e => e.Id == "exec1", ct);
        Assert.Equal(id, execEvent.ContainerId);
        Assert.Equal(execExit.ExitedAt, execEvent.ExitedAt);
        Assert.Equal(7u, (await ShimHarness.CallAsync<DeleteRequest, DeleteResponse>(client, "Delete", new DeleteRequest { Id = id, ExecId = "exec1" }, ct)).ExitStatus);
        Assert.Single(shim.Events.Events<TaskExecAdded>("/tasks/exec-added"), e => e.ContainerId == id && e.ExecId == "exec1");
        Assert.Single(shim.Events.Events<TaskExecStarted>("/tasks/exec-started"), e => e.ContainerId == id && e.ExecId == "exec1");

        // A running container cannot be deleted; SIGKILL ends it with 128 + 9.
        var running = await Assert.ThrowsAsync<TtrpcException>(() => ShimHarness.CallAsync<DeleteRequest, DeleteResponse>(client, "Delete", new DeleteRequest { Id = id }, ct));
        Assert.Equal(TtrpcStatusCode.FailedPrecondition, running.StatusCode);
        await ShimHarness.CallAsync<KillRequest, Empty>(client, "Kill", new KillRequest { Id = id, Signal = 9 }, ct);
        var exit = await ShimHarness.CallAsync<WaitRequest, WaitResponse>(client, "Wait", new WaitRequest { Id = id }, ct);
        Assert.Equal(137u, exit.ExitStatus);
        var again = await Assert.ThrowsAsync<TtrpcException>(() => ShimHarness.CallAsync<KillRequest, Empty>(client, "Kill", new KillRequest { Id = id, Signal = 9 }, ct));
        Assert.Equal(TtrpcStatusCode.NotFound, again.StatusCode);
        await ShimHarness.CallAsync<DeleteRequest, DeleteResponse>(client, "Delete", new DeleteRequest { Id = id }, ct);

        await StopSandboxAsync(shim, client, sandboxId, ct);
    }

    [Fact]
    public async Task AMissingImageFailsCreateWithTheAgentsErrorAndThePodIsStillRemovedCleanly()
    {
        var ct = Timeout;
        await using var registry = await RegistryInstance.StartAsync(new RegistryOptions { Name = "shim-missing" }, ct);
        await using var shim = await ShimHarness.CreateAsync(registry.Host, ct);
        var sandboxId = "sb" + Guid.NewGuid().ToString("N")[..10];
        await using var client = await StartSandboxAsync(shim, sandboxId, ct);

        var id = "missing" + Guid.NewGuid().ToString("N")[..8];
        var bundle = shim.WriteBundle(id, ShimHarness.Spec(sandboxId, "container", ["true"], registry.Host + "/no/such-image:1"));
        await shim.StartShimAsync(id, bundle, ct);
        var ex = await Assert.ThrowsAsync<TtrpcException>(() => ShimHarness.CallAsync<CreateTaskRequest, CreateTaskResponse>(client, "Create", new CreateTaskRequest { Id = id, Bundle = bundle, Rootfs = { ShimHarness.GuestPullRootfs(VolumeJson) } }, ct));
        Assert.Equal(TtrpcStatusCode.NotFound, ex.StatusCode);
        Assert.Contains("no/such-image", ex.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(shim.SharedRoot, sandboxId, id)));

        // A rootfs without an image name is refused before the agent is asked.
        var unnamed = "unnamed" + Guid.NewGuid().ToString("N")[..8];
        var unnamedBundle = shim.WriteBundle(unnamed, ShimHarness.Spec(sandboxId, "container", ["true"]));
        var noName = await Assert.ThrowsAsync<TtrpcException>(() => ShimHarness.CallAsync<CreateTaskRequest, CreateTaskResponse>(client, "Create", new CreateTaskRequest { Id = unnamed, Bundle = unnamedBundle, Rootfs = { ShimHarness.GuestPullRootfs(VolumeJson) } }, ct));
        Assert.Contains("Failed to get image name from annotations", noName.Message, StringComparison.Ordinal);

        await StopSandboxAsync(shim, client, sandboxId, ct);
    }

    [Fact]
    public async Task TheSandboxJoinsThePodsNetworkNamespace()
    {
        var ct = Timeout;
        var hostInterfaces = NetworkInterfaces(await File.ReadAllTextAsync("/proc/net/dev", ct));
        Assert.Contains(hostInterfaces, name => name != "lo");
        var netns = "gpshim" + Guid.NewGuid().ToString("N")[..8];
        await ProcessRunner.RunAsync("ip", ["netns", "add", netns], ct);
        try
        {
            await using var shim = await ShimHarness.CreateAsync(null, ct);
            var sandboxId = "sb" + Guid.NewGuid().ToString("N")[..10];

            // CRI's sandbox spec names the pod's network namespace (CNI's /var/run/netns/…); the agent runs in it.
            var sandboxSpec = ShimHarness.Spec(sandboxId, "sandbox", ["/pause"], namespaces: [new JsonObject { ["type"] = "pid" }, new JsonObject { ["type"] = "ipc" }, new JsonObject { ["type"] = "uts" }, new JsonObject { ["type"] = "network", ["path"] = "/var/run/netns/" + netns }]);
            var sandboxBundle = shim.WriteBundle(sandboxId, sandboxSpec);
            var address = await shim.StartShimAsync(sandboxId, sandboxBundle, ct);
            await using var client = await TtrpcClient.ConnectAsync(address, cancellationToken: ct);
            await ShimHarness.CallAsync<CreateTaskRequest, CreateTaskResponse>(client, "Create", new CreateTaskRequest { Id = sandboxId, Bundle = sandboxBundle, Rootfs = { ShimHarness.GuestPullRootfs(VolumeJson) } }, ct);
            await ShimHarness.CallAsync<StartRequest, StartResponse>(client, "Start", new StartRequest { Id = sandboxId }, ct);

            // An exec in the sandbox container (its pause rootfs holds busybox) sees the pod's interfaces: a fresh namespace has only lo.
            var stdoutFifo = await shim.MakeFifoAsync("net-stdout", ct);
            var stdout = Task.Run(async () =>
            {
                await using var fifo = new FileStream(stdoutFifo, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1);
                using var reader = new StreamReader(fifo, Encoding.UTF8);
                return await reader.ReadToEndAsync();
            });
            var process = new JsonObject { ["args"] = new JsonArray("/bin/busybox", "cat", "/proc/net/dev"), ["cwd"] = "/", ["user"] = new JsonObject { ["uid"] = 0, ["gid"] = 0 } };
            await ShimHarness.CallAsync<ExecProcessRequest, Empty>(client, "Exec", new ExecProcessRequest
            {
                Id = sandboxId,
                ExecId = "netdev",
                Stdout = stdoutFifo,
                Spec = new Any { TypeUrl = "types.containerd.io/opencontainers/runtime-spec/1/Process", Value = ByteString.CopyFromUtf8(process.ToJsonString()) },
            }, ct);
            await ShimHarness.CallAsync<StartRequest, StartResponse>(client, "Start", new StartRequest { Id = sandboxId, ExecId = "netdev" }, ct);
            Assert.Equal(0u, (await ShimHarness.CallAsync<WaitRequest, WaitResponse>(client, "Wait", new WaitRequest { Id = sandboxId, ExecId = "netdev" }, ct)).ExitStatus);
            Assert.Equal(["lo"], NetworkInterfaces(await stdout.WaitAsync(ct)));

            await ShimHarness.CallAsync<DeleteRequest, DeleteResponse>(client, "Delete", new DeleteRequest { Id = sandboxId, ExecId = "netdev" }, ct);
            await StopSandboxAsync(shim, client, sandboxId, ct);
        }
        finally
        {
            await ProcessRunner.RunAsync("ip", ["netns", "delete", netns], CancellationToken.None);
        }
    }

    private static List<string> NetworkInterfaces(string procNetDev) =>
        [.. procNetDev.Split('\n').Skip(2).Where(line => line.Contains(':', StringComparison.Ordinal)).Select(line => line.Split(':')[0].Trim())];

    [Fact]
    public async Task DeleteAfterADeadShimKillsTheSandboxAndRemovesItsHostState()
    {
        var ct = Timeout;
        await using var shim = await ShimHarness.CreateAsync(null, ct);
        var sandboxId = "sb" + Guid.NewGuid().ToString("N")[..10];
        var client = await StartSandboxAsync(shim, sandboxId, ct);
        var shimPid = (await ShimHarness.CallAsync<ConnectRequest, ConnectResponse>(client, "Connect", new ConnectRequest { Id = sandboxId }, ct)).ShimPid;
        await client.DisposeAsync();
        Assert.NotEmpty(Directory.EnumerateFileSystemEntries(shim.SharedRoot));

        // The shim dies without cleaning up; containerd then runs "delete".
        Assert.Equal(0, Signals.TrySend((int)shimPid, Signals.Kill));
        while (Directory.Exists($"/proc/{shimPid}"))
        {
            await Task.Delay(50, ct);
        }

        var result = await shim.RunShimAsync(sandboxId, Path.Combine(shim.WorkDirectory, "bundles", sandboxId), "delete", ct);
        var response = DeleteResponse.Parser.ParseFrom(result.StandardOutputBytes);
        Assert.Equal(137u, response.ExitStatus);
        Assert.InRange(response.ExitedAt.ToDateTimeOffset(), DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1));

        await shim.WaitUntilCleanAsync(ct);
        Assert.Empty(Directory.EnumerateFileSystemEntries(shim.SharedRoot));
        Assert.False(Directory.Exists(Path.Combine(shim.StateRoot, ShimHarness.Namespace, sandboxId)));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(shim.WorkDirectory, "s")));
    }

    private static async Task<TtrpcClient> StartSandboxAsync(ShimHarness shim, string sandboxId, CancellationToken ct, Any? options = null)
    {
        var bundle = shim.WriteBundle(sandboxId, ShimHarness.Spec(sandboxId, "sandbox", ["/pause"]));
        var address = await shim.StartShimAsync(sandboxId, bundle, ct);
        var client = await TtrpcClient.ConnectAsync(address, cancellationToken: ct);
        await ShimHarness.CallAsync<CreateTaskRequest, CreateTaskResponse>(client, "Create", new CreateTaskRequest { Id = sandboxId, Bundle = bundle, Rootfs = { ShimHarness.GuestPullRootfs(VolumeJson) }, Options = options }, ct);
        await ShimHarness.CallAsync<StartRequest, StartResponse>(client, "Start", new StartRequest { Id = sandboxId }, ct);
        return client;
    }

    private static async Task StopSandboxAsync(ShimHarness shim, TtrpcClient client, string sandboxId, CancellationToken ct)
    {
        await ShimHarness.CallAsync<KillRequest, Empty>(client, "Kill", new KillRequest { Id = sandboxId, Signal = 9 }, ct);
        await ShimHarness.CallAsync<WaitRequest, WaitResponse>(client, "Wait", new WaitRequest { Id = sandboxId }, ct);
        await ShimHarness.CallAsync<DeleteRequest, DeleteResponse>(client, "Delete", new DeleteRequest { Id = sandboxId }, ct);
        await ShimHarness.CallAsync<ShutdownRequest, Empty>(client, "Shutdown", new ShutdownRequest { Id = sandboxId }, ct);
        await shim.WaitUntilCleanAsync(ct);
        Assert.Empty(Directory.EnumerateFileSystemEntries(shim.SharedRoot));
    }

    private async Task<string> PushAsync(RegistryInstance registry, CancellationToken ct)
    {
        var layout = _image.CopyLayoutTo(Path.Combine(Path.GetTempPath(), "guestpull-test-shim-layout-" + Guid.NewGuid().ToString("N")));
        try
        {
            await ImageBuilder.PushAsync(layout, BusyboxImageFixture.Tag, registry, "shim/busybox:1", cancellationToken: ct);
        }
        finally
        {
            Directory.Delete(layout, recursive: true);
        }

        return registry.Host + "/shim/busybox:1";
    }
}
