using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using GuestPull.Api.Agent.V1;
using GuestPull.Agent.Tests.Support;
using GuestPull.Testing;
using GuestPull.Testing.Traits;

namespace GuestPull.Agent.Tests;

/// The NativeAOT executable serves the same API as the library: a health check, then a guest pull from the
/// test registry into a bundle (HTTP, gzip layers, the SQLite layer store) and the container's output.
[Collection(AgentCollection.Name)]
[Trait(Requires.Trait, Requires.Components)]
public sealed class PublishedAgentTests(AgentEnvironment environment)
{
    [Fact]
    public async Task NativeAgent_ServesCheck_PullsIntoABundle_AndRunsTheContainer()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var ct = timeout.Token;
        await using var agent = await PublishedAgent.StartAsync(environment.Registry.Host, trustedCaFile: null, ct);
        var client = agent.Client;

        var health = await client.CallAsync<CheckRequest, HealthCheckResponse>("Check", new CheckRequest(), ct);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);

        await client.CreateAsync(AgentClient.GuestPull("native-1", environment.HelloImage, agent.BundleRoot), ct);
        var bundle = Path.Combine(agent.BundleRoot, "native-1");
        Assert.True(File.Exists(Path.Combine(bundle, "config.json")));
        Assert.True(File.Exists(Path.Combine(bundle, "rootfs", "bin", "busybox")));

        await client.StartAsync("native-1", ct);
        Assert.Equal("hello\n", await client.ReadToEndAsync("ReadStdout", "native-1", string.Empty, ct));
        Assert.Equal(0, (await client.WaitAsync("native-1", string.Empty, ct)).Status);
        await client.RemoveAsync("native-1", ct);
        Assert.False(Directory.Exists(bundle), "the bundle is gone after RemoveContainer");
    }

    [Fact]
    public async Task NativeAgent_PullsZstdLayersOverHttps()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var ct = timeout.Token;
        using var directory = TempDirectory.Create("aot-agent-tls");
        await using var registry = await RegistryInstance.StartAsync(new RegistryOptions { Name = "aot-tls", Tls = true }, ct);
        var layout = directory.Combine("layout");
        await ImageBuilder.BuildBusyboxAsync(layout, "hello", new ImageConfigOptions { Cmd = ["echo", "hello"] }, ct);
        await ImageBuilder.PushAsync(layout, "hello", registry, "test/hello-zstd:latest", new PushOptions { Compression = LayerCompression.Zstd }, ct);

        // OpenSSL is linked into the executable: the TLS handshake and the chain check to the test CA run there.
        await using var agent = await PublishedAgent.StartAsync(insecureRegistry: null, registry.CaCertificatePath, ct);
        await agent.Client.CreateAsync(AgentClient.GuestPull("native-tls", $"{registry.Host}/test/hello-zstd:latest", agent.BundleRoot), ct);
        var bundle = Path.Combine(agent.BundleRoot, "native-tls");
        Assert.True(File.Exists(Path.Combine(bundle, "rootfs", "bin", "busybox")));
        await agent.Client.RemoveAsync("native-tls", ct);
    }

    [Fact]
    public async Task NativeAgent_PullsFromTheNodesLoopbackThroughTheGateway_AndCopiesFiles()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var ct = timeout.Token;
        using var directory = TempDirectory.Create("aot-agent-vm");
        await using var gateway = LoopbackGatewayForwarder.Start(environment.Registry.Host);
        var copyRoot = directory.Combine("shared", "containers");
        await using var agent = await PublishedAgent.StartAsync(gateway.RegistryHost, trustedCaFile: null, ct, $"""
            loopback_gateway = "{LoopbackGatewayForwarder.Gateway}"
            copy_root = "{copyRoot}"
            """);

        // The image keeps the registry's loopback name (which is also how insecure_registries names
        // it); only the connections go to the gateway, since 127.0.0.1 itself refuses them.
        var image = $"{gateway.RegistryHost}/{AgentEnvironment.HelloRepository}:latest";
        await agent.Client.CreateAsync(AgentClient.GuestPull("native-vm", image, agent.BundleRoot), ct);
        Assert.True(gateway.Connections > 0);
        Assert.Equal(image, Assert.Single((await agent.Client.ListAsync(ct)).Containers).Image);
        await agent.Client.StartAsync("native-vm", ct);
        Assert.Equal("hello\n", await agent.Client.ReadToEndAsync("ReadStdout", "native-vm", string.Empty, ct));
        await agent.Client.RemoveAsync("native-vm", ct);

        // CopyFile in the NativeAOT build: two chunks, renamed into place with the mode asked for.
        var hosts = Path.Combine(copyRoot, "native-vm", "hosts");
        foreach (var (offset, data) in new[] { (0L, "127.0.0.1 "), (10L, "localhost\n") })
        {
            await agent.Client.CallAsync<CopyFileRequest, Empty>("CopyFile", new CopyFileRequest
            {
                Path = hosts,
                FileSize = 20,
                FileMode = 0x81A4,
                DirMode = 0x1ED,
                Offset = offset,
                Data = ByteString.CopyFromUtf8(data),
            }, ct);
        }

        Assert.Equal("127.0.0.1 localhost\n", await File.ReadAllTextAsync(hosts, ct));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(hosts));
    }
}
