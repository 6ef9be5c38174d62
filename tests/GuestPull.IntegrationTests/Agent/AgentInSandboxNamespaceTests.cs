using System.Text;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using GuestPull.Api.Agent.V1;
using GuestPull.IntegrationTests.Infrastructure;
using GuestPull.Testing;
using GuestPull.Testing.Traits;
using GuestPull.Ttrpc;

namespace GuestPull.IntegrationTests.Agent;

/// <summary>
/// The real <c>guestpull agent</c> binary in its own mount namespace with a private tmpfs at
/// /run/kata-containers (the guest's memory), at Kata's default paths, driven over ttrpc as the shim
/// will drive it: the image is pulled inside the "sandbox", and the host sees none of it.
/// </summary>
[Trait(Requires.Trait, Requires.Components)]
public sealed class AgentInSandboxNamespaceTests : IClassFixture<BusyboxImageFixture>
{
    private const string Service = "guestpull.agent.v1.Agent";
    private readonly BusyboxImageFixture _image;

    public AgentInSandboxNamespaceTests(BusyboxImageFixture image) => _image = image;

    private static CancellationToken Timeout => new CancellationTokenSource(TimeSpan.FromMinutes(4)).Token;

    private static Task<TResponse> CallAsync<TRequest, TResponse>(TtrpcClient client, string method, TRequest request)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>, new() =>
        client.CallAsync<TRequest, TResponse>(Service, method, request, new TtrpcCallOptions { Timeout = TimeSpan.FromMinutes(3) }, Timeout);

    private static async Task<string> ReadStdoutToEndAsync(TtrpcClient client, string containerId)
    {
        var text = new StringBuilder();
        while (true)
        {
            var response = await CallAsync<ReadStreamRequest, ReadStreamResponse>(client, "ReadStdout", new ReadStreamRequest { ContainerId = containerId, Len = 4096 });
            if (response.Eof)
            {
                return text.ToString();
            }

            text.Append(response.Data.ToStringUtf8());
        }
    }

    [Fact]
    public async Task AContainerImageIsPulledInsideTheSandboxAndRunsWithRunc()
    {
        await using var registry = await RegistryInstance.StartAsync(new RegistryOptions { Name = "agent" }, Timeout);
        var layout = _image.CopyLayoutTo(Path.Combine(Path.GetTempPath(), "guestpull-test-agent-layout-" + Guid.NewGuid().ToString("N")));
        try
        {
            await ImageBuilder.ConfigAsync(layout, BusyboxImageFixture.Tag, new ImageConfigOptions { Cmd = ["echo", "hello"] }, Timeout);
            await ImageBuilder.PushAsync(layout, BusyboxImageFixture.Tag, registry, "agent/hello:1", cancellationToken: Timeout);
        }
        finally
        {
            Directory.Delete(layout, recursive: true);
        }

        using var work = TempDirectory.Create("agent-ns");
        var socket = work.Combine("agent.sock");
        var config = work.Combine("agent.toml");
        await File.WriteAllTextAsync(config, $"insecure_registries = [\"{registry.Host}\"]\nrunc_root = \"{AgentRequests.KataRun}/runc\"\n", Timeout);
        Directory.CreateDirectory(AgentRequests.KataRun);
        var hostBefore = Directory.EnumerateFileSystemEntries(AgentRequests.KataRun).Order(StringComparer.Ordinal).ToList();

        // A private mount namespace with its own tmpfs at /run/kata-containers stands in for the guest VM.
        var agentDll = Path.Combine(AppContext.BaseDirectory, "guestpull.dll");
        var script = $"mount -t tmpfs -o mode=0755 tmpfs {AgentRequests.KataRun} && exec dotnet \"$0\" agent --listen \"unix://$1\" --config \"$2\"";
        await using var agent = ProcessRunner.StartBackground("unshare", ["--mount", "--propagation", "private", "sh", "-c", script, agentDll, socket, config]);
        await using var client = await ConnectAsync(socket, agent);
        var health = await CallAsync<CheckRequest, HealthCheckResponse>(client, "Check", new CheckRequest());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);

        await CallAsync<CreateContainerRequest, Empty>(client, "CreateContainer", new CreateContainerRequest
        {
            ContainerId = "sandbox1",
            OciSpecJson = AgentRequests.Spec("sandbox", []),
            Storages = { AgentRequests.GuestPullStorage("sandbox1", "pause") },
        });
        await CallAsync<StartContainerRequest, Empty>(client, "StartContainer", new StartContainerRequest { ContainerId = "sandbox1" });

        await CallAsync<CreateContainerRequest, Empty>(client, "CreateContainer", new CreateContainerRequest
        {
            ContainerId = "hello1",
            OciSpecJson = AgentRequests.Spec("container", []),
            Storages = { AgentRequests.GuestPullStorage("hello1", registry.Host + "/agent/hello:1") },
        });
        await CallAsync<StartContainerRequest, Empty>(client, "StartContainer", new StartContainerRequest { ContainerId = "hello1" });
        Assert.Equal("hello\n", await ReadStdoutToEndAsync(client, "hello1"));
        var exit = await CallAsync<WaitProcessRequest, WaitProcessResponse>(client, "WaitProcess", new WaitProcessRequest { ContainerId = "hello1" });
        Assert.Equal(0, exit.Status);

        // The image came through the agent, and the host's /run/kata-containers holds none of it.
        await registry.SyncAccessLogAsync(Timeout);
        Assert.True(await registry.CountBlobGetsAsync(null, Timeout) >= 2, "the agent fetched no blob");
        Assert.Equal(hostBefore, Directory.EnumerateFileSystemEntries(AgentRequests.KataRun).Order(StringComparer.Ordinal).ToList());

        await CallAsync<RemoveContainerRequest, Empty>(client, "RemoveContainer", new RemoveContainerRequest { ContainerId = "hello1" });
        await CallAsync<RemoveContainerRequest, Empty>(client, "RemoveContainer", new RemoveContainerRequest { ContainerId = "sandbox1" });
        var list = await CallAsync<ListContainersRequest, ListContainersResponse>(client, "ListContainers", new ListContainersRequest());
        Assert.Empty(list.Containers);
    }

    [Fact]
    public async Task ANonRootImageUserRunsInsideTheSandbox()
    {
        await using var registry = await RegistryInstance.StartAsync(new RegistryOptions { Name = "agent-nonroot" }, Timeout);
        var layout = _image.CopyLayoutTo(Path.Combine(Path.GetTempPath(), "guestpull-test-agent-layout-" + Guid.NewGuid().ToString("N")));
        try
        {
            await ImageBuilder.ConfigAsync(layout, BusyboxImageFixture.Tag, new ImageConfigOptions { User = "1000", Cmd = ["sh", "-c", "id -u && ls / >/dev/null && echo listed"] }, Timeout);
            await ImageBuilder.PushAsync(layout, BusyboxImageFixture.Tag, registry, "agent/nonroot:1", cancellationToken: Timeout);
        }
        finally
        {
            Directory.Delete(layout, recursive: true);
        }

        using var work = TempDirectory.Create("agent-ns-nonroot");
        var socket = work.Combine("agent.sock");
        var config = work.Combine("agent.toml");
        await File.WriteAllTextAsync(config, $"insecure_registries = [\"{registry.Host}\"]\nrunc_root = \"{AgentRequests.KataRun}/runc\"\n", Timeout);
        Directory.CreateDirectory(AgentRequests.KataRun);
        var agentDll = Path.Combine(AppContext.BaseDirectory, "guestpull.dll");
        var script = $"mount -t tmpfs -o mode=0755 tmpfs {AgentRequests.KataRun} && exec dotnet \"$0\" agent --listen \"unix://$1\" --config \"$2\"";
        await using var agent = ProcessRunner.StartBackground("unshare", ["--mount", "--propagation", "private", "sh", "-c", script, agentDll, socket, config]);
        await using var client = await ConnectAsync(socket, agent);

        await CallAsync<CreateContainerRequest, Empty>(client, "CreateContainer", new CreateContainerRequest
        {
            ContainerId = "sandbox2",
            OciSpecJson = AgentRequests.Spec("sandbox", []),
            Storages = { AgentRequests.GuestPullStorage("sandbox2", "pause") },
        });
        await CallAsync<StartContainerRequest, Empty>(client, "StartContainer", new StartContainerRequest { ContainerId = "sandbox2" });

        // The user kubelet would put in the spec from the image config, and no capabilities at all.
        await CallAsync<CreateContainerRequest, Empty>(client, "CreateContainer", new CreateContainerRequest
        {
            ContainerId = "nonroot1",
            OciSpecJson = AgentRequests.Spec("container", [], uid: 1000),
            Storages = { AgentRequests.GuestPullStorage("nonroot1", registry.Host + "/agent/nonroot:1") },
        });
        await CallAsync<StartContainerRequest, Empty>(client, "StartContainer", new StartContainerRequest { ContainerId = "nonroot1" });
        Assert.Equal("1000\nlisted\n", await ReadStdoutToEndAsync(client, "nonroot1"));
        var exit = await CallAsync<WaitProcessRequest, WaitProcessResponse>(client, "WaitProcess", new WaitProcessRequest { ContainerId = "nonroot1" });
        Assert.Equal(0, exit.Status);

        await CallAsync<RemoveContainerRequest, Empty>(client, "RemoveContainer", new RemoveContainerRequest { ContainerId = "nonroot1" });
        await CallAsync<RemoveContainerRequest, Empty>(client, "RemoveContainer", new RemoveContainerRequest { ContainerId = "sandbox2" });
    }

    private static async Task<TtrpcClient> ConnectAsync(string socket, BackgroundProcess agent)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            Assert.False(agent.HasExited, "the agent exited:\n" + agent.DescribeOutput());
            if (File.Exists(socket))
            {
                try
                {
                    return await TtrpcClient.ConnectAsync(socket, cancellationToken: Timeout);
                }
                catch (TtrpcException ex) when (ex.StatusCode == TtrpcStatusCode.Unavailable && DateTime.UtcNow < deadline)
                {
                    // Bound but not listening yet.
                }
            }

            Assert.True(DateTime.UtcNow < deadline, "the agent did not listen within 60 s:\n" + agent.DescribeOutput());
            await Task.Delay(100);
        }
    }
}
