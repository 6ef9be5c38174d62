using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using GuestPull.Api.Agent.V1;
using GuestPull.Agent.Tests.Support;
using GuestPull.Testing.Traits;
using GuestPull.Ttrpc;

namespace GuestPull.Agent.Tests;

[Trait(Requires.Trait, Requires.Root)]
[Collection(AgentCollection.Name)]
public sealed class ContainerLifecycleTests(AgentEnvironment environment)
{
    private static readonly Dictionary<string, string> SandboxAnnotations = new()
    {
        ["io.kubernetes.cri.container-type"] = "sandbox",
        ["io.kubernetes.cri.sandbox-id"] = "sandbox-1",
    };

    [Fact]
    public async Task Check_ReportsServing()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var response = await environment.Client.CallAsync<CheckRequest, HealthCheckResponse>("Check", new CheckRequest(), timeout.Token);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, response.Status);
    }

    [Fact]
    public async Task SandboxAndGuestPulledContainer_RunPrintExitAndCleanUp()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var ct = timeout.Token;
        var client = environment.Client;

        // The sandbox comes from the built-in pause bundle: no registry request at all.
        var requestsBefore = environment.Registry.Requests.Count;
        await client.CreateAsync(AgentClient.GuestPull("sandbox-1", "pause", environment.BundleRoot, AgentClient.Spec(["/pause"], SandboxAnnotations)), ct);
        await client.StartAsync("sandbox-1", ct);
        await environment.Registry.SyncAccessLogAsync(ct);
        Assert.DoesNotContain(environment.Registry.Requests.Skip(requestsBefore), r => r.Path.StartsWith("/v2/test", StringComparison.Ordinal));
        var sandbox = Assert.Single((await client.ListAsync(ct)).Containers, c => c.ContainerId == "sandbox-1");
        Assert.Equal(ContainerStatus.Running, sandbox.Status);
        Assert.Equal("pause", sandbox.Image);

        // The workload: its image is pulled by the agent, its Cmd prints hello.
        await client.CreateAsync(AgentClient.GuestPull("hello-1", environment.HelloImage, environment.BundleRoot), ct);
        var bundle = environment.BundleOf("hello-1");
        Assert.True(File.Exists(Path.Combine(bundle, "config.json")));
        Assert.True(File.Exists(Path.Combine(bundle, "rootfs", "bin", "busybox")));
        var config = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(bundle, "config.json"), ct))!;
        Assert.Equal(Path.Combine(bundle, "rootfs"), (string?)config["root"]!["path"]);
        Assert.Equal(["echo", "hello"], config["process"]!["args"]!.AsArray().Select(a => (string?)a));

        await client.StartAsync("hello-1", ct);
        Assert.Equal("hello\n", await client.ReadToEndAsync("ReadStdout", "hello-1", string.Empty, ct));
        Assert.Equal(0, (await client.WaitAsync("hello-1", string.Empty, ct)).Status);
        var stopped = Assert.Single((await client.ListAsync(ct)).Containers, c => c.ContainerId == "hello-1");
        Assert.Equal(ContainerStatus.Stopped, stopped.Status);
        Assert.NotNull(stopped.ExitedAt);

        var layers = await environment.Agent.Store.ListLayersAsync(ct);
        Assert.NotEmpty(layers);
        await client.RemoveAsync("hello-1", ct);
        Assert.False(Directory.Exists(bundle), "the bundle is gone after RemoveContainer");
        Assert.DoesNotContain((await client.ListAsync(ct)).Containers, c => c.ContainerId == "hello-1");
        foreach (var layer in layers)
        {
            Assert.True(Directory.Exists(environment.Agent.Store.LayerPath(layer.DiffId)), $"layer {layer.DiffId} stays cached");
        }

        // A second container of the same image: its own bundle, no blob downloaded again.
        var blobGets = await environment.Registry.CountBlobGetsAsync(null, ct);
        await client.CreateAsync(AgentClient.GuestPull("hello-2", environment.HelloImage, environment.BundleRoot, AgentClient.Spec(["sh", "-c", "echo again; echo oops >&2; exit 3"])), ct);
        await client.StartAsync("hello-2", ct);
        Assert.Equal("again\n", await client.ReadToEndAsync("ReadStdout", "hello-2", string.Empty, ct));
        Assert.Equal("oops\n", await client.ReadToEndAsync("ReadStderr", "hello-2", string.Empty, ct));
        Assert.Equal(3, (await client.WaitAsync("hello-2", string.Empty, ct)).Status);
        Assert.Equal(blobGets, await environment.Registry.CountBlobGetsAsync(null, ct));
        await client.RemoveAsync("hello-2", ct);
        Assert.False(Directory.Exists(environment.BundleOf("hello-2")));

        // The sandbox stays until it is killed; then its exit status says SIGKILL.
        await client.CallAsync<SignalProcessRequest, Empty>("SignalProcess", new SignalProcessRequest { ContainerId = "sandbox-1", Signal = 9 }, ct);
        Assert.Equal(128 + 9, (await client.WaitAsync("sandbox-1", string.Empty, ct)).Status);
        await client.RemoveAsync("sandbox-1", ct);
        Assert.False(Directory.Exists(environment.BundleOf("sandbox-1")));
        Assert.False(Directory.Exists(Path.Combine(environment.RuncRoot, "sandbox-1")), "runc's state is deleted too");
    }

    [Fact]
    public async Task ExecProcess_RunsInTheContainer_WithStdinAndExitCode()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var ct = timeout.Token;
        var client = environment.Client;
        await client.CreateAsync(AgentClient.GuestPull("exec-1", environment.HelloImage, environment.BundleRoot, AgentClient.Spec(["sleep", "600"])), ct);
        try
        {
            await client.StartAsync("exec-1", ct);
            await client.CallAsync<ExecProcessRequest, Empty>("ExecProcess", new ExecProcessRequest
            {
                ContainerId = "exec-1",
                ExecId = "cat",
                ProcessJson = """{"args":["sh","-c","cat; hostname; exit 7"],"cwd":"/"}""",
            }, ct);
            var written = await client.CallAsync<WriteStreamRequest, WriteStreamResponse>(
                "WriteStdin", new WriteStreamRequest { ContainerId = "exec-1", ExecId = "cat", Data = ByteString.CopyFromUtf8("ping\n") }, ct);
            Assert.Equal(5u, written.Len);
            await client.CallAsync<CloseStdinRequest, Empty>("CloseStdin", new CloseStdinRequest { ContainerId = "exec-1", ExecId = "cat" }, ct);
            Assert.Equal("ping\nagent-test\n", await client.ReadToEndAsync("ReadStdout", "exec-1", "cat", ct));
            Assert.Equal(7, (await client.WaitAsync("exec-1", "cat", ct)).Status);

            await client.CallAsync<ExecProcessRequest, Empty>("ExecProcess", new ExecProcessRequest
            {
                ContainerId = "exec-1",
                ExecId = "sleeper",
                ProcessJson = """{"args":["sleep","600"]}""",
            }, ct);
            await client.CallAsync<SignalProcessRequest, Empty>("SignalProcess", new SignalProcessRequest { ContainerId = "exec-1", ExecId = "sleeper", Signal = 15 }, ct);
            Assert.Equal(128 + 15, (await client.WaitAsync("exec-1", "sleeper", ct)).Status);

            var duplicate = await Assert.ThrowsAsync<TtrpcException>(() => client.CallAsync<ExecProcessRequest, Empty>("ExecProcess", new ExecProcessRequest
            {
                ContainerId = "exec-1",
                ExecId = "cat",
                ProcessJson = """{"args":["true"]}""",
            }, ct));
            Assert.Equal(TtrpcStatusCode.AlreadyExists, duplicate.StatusCode);
            Assert.Equal(ContainerStatus.Running, Assert.Single((await client.ListAsync(ct)).Containers, c => c.ContainerId == "exec-1").Status);
        }
        finally
        {
            await client.RemoveAsync("exec-1", ct);
        }

        Assert.False(Directory.Exists(environment.BundleOf("exec-1")));
    }
}
