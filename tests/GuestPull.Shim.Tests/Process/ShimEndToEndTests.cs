using System.Text;
using System.Text.Json.Nodes;
using Google.Protobuf.WellKnownTypes;
using GuestPull.Api.Containerd.Events;
using GuestPull.Api.Containerd.Task.V2;
using GuestPull.Testing;
using GuestPull.Testing.Traits;
using GuestPull.Ttrpc;

namespace GuestPull.Shim.Tests.Process;

/// <summary>
/// The real shim, started the way containerd starts it, running a pod in a namespace sandbox whose
/// agent pulls a busybox image from a real docker-registry: sandbox container, a workload printing
/// "hello" into its stdout fifo, an exec, kill, delete, shutdown, and nothing left behind.
/// Needs root (namespaces, mounts, runc), as CI has.
/// </summary>
[Trait(Requires.Trait, Requires.Components)]
public sealed class ShimEndToEndTests : IClassFixture<BusyboxImageFixture>
{
    private const string KataRun = "/run/kata-containers";
    private readonly BusyboxImageFixture _image;

    public ShimEndToEndTests(BusyboxImageFixture image) => _image = image;

    private static CancellationToken Timeout => new CancellationTokenSource(TimeSpan.FromMinutes(6)).Token;

    [Fact]
    public async Task APodRunsInTheSandboxWithItsImagePulledByTheAgentAndLeavesNothingBehind()
    {
        var ct = Timeout;
        await using var registry = await RegistryInstance.StartAsync(new RegistryOptions { Name = "shim" }, ct);
        var imageName = await PushHelloImageAsync(registry, ct);
        await using var shim = await ShimHarness.CreateAsync(registry.Host, ct);
        Directory.CreateDirectory(KataRun);
        var kataRunBefore = Directory.EnumerateFileSystemEntries(KataRun).Order(StringComparer.Ordinal).ToList();
        var sandboxId = "sb" + Guid.NewGuid().ToString("N")[..10];

        // The sandbox container: containerd runs "start" in its bundle and connects to the printed address.
        var sandboxBundle = shim.WriteBundle(sandboxId, ShimHarness.Spec(sandboxId, "sandbox", ["/pause"]));
        var address = await shim.StartShimAsync(sandboxId, sandboxBundle, ct);
        await using var client = await TtrpcClient.ConnectAsync(address, cancellationToken: ct);
        var connect = await ShimHarness.CallAsync<ConnectRequest, ConnectResponse>(client, "Connect", new ConnectRequest { Id = sandboxId }, ct);
        Assert.True(connect.ShimPid > 0);

        await ShimHarness.CallAsync<CreateTaskRequest, CreateTaskResponse>(client, "Create", new CreateTaskRequest
        {
            Id = sandboxId,
            Bundle = sandboxBundle,
            Rootfs = { ShimHarness.GuestPullRootfs("""{"volume_type":"image_guest_pull","image_pull":{"metadata":{}}}""") },
        }, ct);
        var sandboxPid = (await ShimHarness.CallAsync<StartRequest, StartResponse>(client, "Start", new StartRequest { Id = sandboxId }, ct)).Pid;
        Assert.True(sandboxPid > 0, "the sandbox container's host pid was not reported");
        Assert.Contains("sleep", string.Join(' ', File.ReadAllText($"/proc/{sandboxPid}/cmdline").Split('\0')), StringComparison.Ordinal);

        // A workload of the same pod joins the sandbox container's IPC and UTS namespaces the way CRI asks
        // (host /proc paths), and gets a host file shared with the guest.
        var hostsFile = Path.Combine(shim.WorkDirectory, "hosts");
        await File.WriteAllTextAsync(hostsFile, "10.0.0.1 shared-host-file\n", ct);
        var helloId = "hello" + Guid.NewGuid().ToString("N")[..8];
        var helloBundle = shim.WriteBundle(helloId, ShimHarness.Spec(
            sandboxId,
            "container",
            ["sh", "-c", "echo hello; cat /etc/test-hosts; echo oops >&2; exit 3"],
            imageName,
            namespaces: [new JsonObject { ["type"] = "pid" }, new JsonObject { ["type"] = "ipc", ["path"] = $"/proc/{sandboxPid}/ns/ipc" }, new JsonObject { ["type"] = "uts", ["path"] = $"/proc/{sandboxPid}/ns/uts" }],
            mounts: [new JsonObject { ["destination"] = "/etc/test-hosts", ["type"] = "bind", ["source"] = hostsFile, ["options"] = new JsonArray("rbind", "ro") }]));
        Assert.Equal(address, await shim.StartShimAsync(helloId, helloBundle, ct));

        var stdoutFifo = await shim.MakeFifoAsync("hello-stdout", ct);
        var stderrFifo = await shim.MakeFifoAsync("hello-stderr", ct);
        var stdout = ReadFifoAsync(stdoutFifo);
        var stderr = ReadFifoAsync(stderrFifo);
        await ShimHarness.CallAsync<CreateTaskRequest, CreateTaskResponse>(client, "Create", new CreateTaskRequest
        {
            Id = helloId,
            Bundle = helloBundle,
            Stdout = stdoutFifo,
            Stderr = stderrFifo,
            Rootfs = { ShimHarness.GuestPullRootfs("""{"volume_type":"image_guest_pull","source":"dummy-image-reference","image_pull":{"metadata":{"io.katacontainers.image.layer":"x"}}}""") },
        }, ct);
        var created = await ShimHarness.CallAsync<StateRequest, StateResponse>(client, "State", new StateRequest { Id = helloId }, ct);
        Assert.Equal(Api.Containerd.Types.Status.Created, created.Status);

        var helloPid = (await ShimHarness.CallAsync<StartRequest, StartResponse>(client, "Start", new StartRequest { Id = helloId }, ct)).Pid;
        var exit = await ShimHarness.CallAsync<WaitRequest, WaitResponse>(client, "Wait", new WaitRequest { Id = helloId }, ct);

        Assert.Equal(3u, exit.ExitStatus);
        Assert.Equal("hello\n10.0.0.1 shared-host-file\n", await stdout.WaitAsync(ct));
        Assert.Equal("oops\n", await stderr.WaitAsync(ct));
        var stopped = await ShimHarness.CallAsync<StateRequest, StateResponse>(client, "State", new StateRequest { Id = helloId }, ct);
        Assert.Equal(Api.Containerd.Types.Status.Stopped, stopped.Status);
        Assert.Equal(3u, stopped.ExitStatus);

        // The exit event carries the same status and time as Wait (from the agent's WaitProcess).
        var exitEvent = await shim.Events.WaitForAsync<TaskExit>("/tasks/exit", e => e.ContainerId == helloId, ct);
        Assert.Equal(helloId, exitEvent.Id);
        Assert.Equal(3u, exitEvent.ExitStatus);
        Assert.Equal(exit.ExitedAt, exitEvent.ExitedAt);
        Assert.Equal(helloPid, exitEvent.Pid);

        // The image came from the registry through the agent, and the host's /run/kata-containers holds none of it.
        await registry.SyncAccessLogAsync(ct);
        Assert.True(await registry.CountBlobGetsAsync(null, ct) >= 2, "the agent fetched no blob");
        Assert.Equal(kataRunBefore, Directory.EnumerateFileSystemEntries(KataRun).Order(StringComparer.Ordinal).ToList());
        Assert.Empty(Directory.EnumerateDirectories(shim.SharedRoot, "rootfs", SearchOption.AllDirectories));

        var deleted = await ShimHarness.CallAsync<DeleteRequest, DeleteResponse>(client, "Delete", new DeleteRequest { Id = helloId }, ct);
        Assert.Equal(3u, deleted.ExitStatus);
        Assert.Equal(exit.ExitedAt, deleted.ExitedAt);
        Assert.False(Directory.Exists(Path.Combine(shim.SharedRoot, sandboxId, helloId)), "the workload's shared files outlived Delete");
        var missing = await Assert.ThrowsAsync<TtrpcException>(() => ShimHarness.CallAsync<StateRequest, StateResponse>(client, "State", new StateRequest { Id = helloId }, ct));
        Assert.Equal(TtrpcStatusCode.NotFound, missing.StatusCode);

        // containerd runs "delete" after each task's connection closes; with the pod's shim alive it must not touch the sandbox.
        var afterDelete = await shim.RunShimAsync(helloId, helloBundle, "delete", ct);
        Assert.Equal(ShimHost.DeadShimExitStatus, DeleteResponse.Parser.ParseFrom(afterDelete.StandardOutputBytes).ExitStatus);
        Assert.Equal(Api.Containerd.Types.Status.Running, (await ShimHarness.CallAsync<StateRequest, StateResponse>(client, "State", new StateRequest { Id = sandboxId }, ct)).Status);

        // Shutdown is refused while the sandbox container exists; stop it as CRI does, then shut down.
        await ShimHarness.CallAsync<ShutdownRequest, Empty>(client, "Shutdown", new ShutdownRequest { Id = sandboxId }, ct);
        await ShimHarness.CallAsync<KillRequest, Empty>(client, "Kill", new KillRequest { Id = sandboxId, Signal = 9, All = true }, ct);
        var sandboxExit = await ShimHarness.CallAsync<WaitRequest, WaitResponse>(client, "Wait", new WaitRequest { Id = sandboxId }, ct);
        Assert.Equal(137u, sandboxExit.ExitStatus);
        await ShimHarness.CallAsync<DeleteRequest, DeleteResponse>(client, "Delete", new DeleteRequest { Id = sandboxId }, ct);
        await ShimHarness.CallAsync<ShutdownRequest, Empty>(client, "Shutdown", new ShutdownRequest { Id = sandboxId }, ct);

        await shim.WaitUntilCleanAsync(ct);
        Assert.Empty(Directory.EnumerateFileSystemEntries(shim.SharedRoot));
        Assert.False(Directory.Exists(Path.Combine(shim.StateRoot, ShimHarness.Namespace, sandboxId)));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(shim.WorkDirectory, "s")));
        Assert.Equal(kataRunBefore, Directory.EnumerateFileSystemEntries(KataRun).Order(StringComparer.Ordinal).ToList());

        Assert.Equal(
            ["/tasks/create", "/tasks/start", "/tasks/create", "/tasks/start", "/tasks/exit", "/tasks/delete", "/tasks/exit", "/tasks/delete"],
            shim.Events.Topics);
        Assert.All(shim.Events.Received, r => Assert.Equal(ShimHarness.Namespace, r.Envelope.Namespace));
        Assert.All(shim.Events.Received, r => Assert.Equal(ShimHarness.Namespace, r.Namespace));
    }

    private async Task<string> PushHelloImageAsync(RegistryInstance registry, CancellationToken ct)
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

    private static Task<string> ReadFifoAsync(string path) => Task.Run(async () =>
    {
        // Opening for reading waits for the shim to open the writing end, as containerd's fifo reader does.
        await using var fifo = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1);
        using var reader = new StreamReader(fifo, Encoding.UTF8);
        return await reader.ReadToEndAsync();
    });
}
