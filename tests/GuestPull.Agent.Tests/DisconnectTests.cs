using System.Net;
using System.Net.Sockets;
using GuestPull.Agent.Tests.Support;
using GuestPull.Ttrpc;

namespace GuestPull.Agent.Tests;

[Collection(AgentCollection.Name)]
public sealed class DisconnectTests(AgentEnvironment environment)
{
    /// A registry that accepts connections and never answers keeps the pull waiting; the client then goes
    /// away. The agent must abandon the pull (its connection to the registry closes) and leave nothing behind.
    [Fact]
    public async Task ClientLeavingDuringAPull_CancelsIt_AndLeavesNothing()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var ct = timeout.Token;
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;

        var client = await TtrpcClient.ConnectAsync(environment.Agent.Address, cancellationToken: ct);
        var call = client.CreateAsync(AgentClient.GuestPull("left", $"127.0.0.1:{port}/silent/image:latest", environment.BundleRoot), ct);
        using var registryConnection = await silent.AcceptSocketAsync(ct);
        await client.DisposeAsync();
        await Assert.ThrowsAnyAsync<Exception>(() => call);

        // The agent hangs up on the silent registry once its caller is gone (well before its own 60 s request timeout).
        using var hangUp = CancellationTokenSource.CreateLinkedTokenSource(ct);
        hangUp.CancelAfter(TimeSpan.FromSeconds(45));
        var buffer = new byte[4096];
        while (await registryConnection.ReceiveAsync(buffer, SocketFlags.None, hangUp.Token) > 0)
        {
        }

        Assert.False(Directory.Exists(environment.BundleOf("left")));
        Assert.DoesNotContain((await environment.Client.ListAsync(ct)).Containers, c => c.ContainerId == "left");

        // The id is free again once the abandoned call has unwound.
        var sandbox = new Dictionary<string, string> { ["io.kubernetes.cri.container-type"] = "sandbox" };
        while (true)
        {
            try
            {
                await environment.Client.CreateAsync(AgentClient.GuestPull("left", "pause", environment.BundleRoot, AgentClient.Spec(annotations: sandbox)), ct);
                break;
            }
            catch (TtrpcException ex) when (ex.StatusCode == TtrpcStatusCode.AlreadyExists)
            {
                await Task.Delay(100, ct);
            }
        }

        await environment.Client.RemoveAsync("left", ct);
    }
}
