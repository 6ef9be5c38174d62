using GuestPull.Agent.Configuration;
using GuestPull.Testing;
using GuestPull.Testing.Traits;
using GuestPull.Ttrpc;
using Microsoft.Extensions.Logging.Abstractions;
using ApiAgentClient = GuestPull.Api.Agent.AgentClient;

namespace GuestPull.Agent.Tests;

/// The agent's bounds on its own connections, from its config: `max_connections` and `idle_timeout_seconds`.
[Trait(Requires.Trait, Requires.Components)]
public sealed class ConnectionLimitTests
{
    [Fact]
    public void Keys_AreRead_AndDefaultToACapWithoutIdleClosing()
    {
        var settings = AgentConfigParser.Parse("max_connections = 5\nidle_timeout_seconds = 30\n", "agent.toml");
        Assert.Equal(5, settings.MaxConnections);
        Assert.Equal(TimeSpan.FromSeconds(30), settings.IdleTimeout);
        Assert.Empty(settings.Warnings);

        var defaults = AgentConfigParser.Parse(string.Empty, "agent.toml");
        Assert.Equal(64, defaults.MaxConnections);
        Assert.Equal(Timeout.InfiniteTimeSpan, defaults.IdleTimeout);
        Assert.Equal(Timeout.InfiniteTimeSpan, AgentConfigParser.Parse("idle_timeout_seconds = 0\n", "agent.toml").IdleTimeout);
    }

    [Theory]
    [InlineData("max_connections = 0", "agent.toml: max_connections: expected an integer between 1 and 65536, got 0")]
    [InlineData("idle_timeout_seconds = -1", "agent.toml: idle_timeout_seconds: expected an integer between 0 and 86400, got -1")]
    public void BadValues_AreRefusedNamingTheKey(string toml, string message)
    {
        var error = Assert.Throws<AgentConfigurationException>(() => AgentConfigParser.Parse(toml, "agent.toml"));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheAgent_ClosesAConnectionOverItsCap_AndIdleOnes_AndKeepsServing()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var ct = timeout.Token;
        using var directory = TempDirectory.Create("agent-connections");
        var config = directory.Combine("agent.toml");
        await File.WriteAllTextAsync(config, $"""
            image_root = "{directory.Combine("image")}"
            bundle_root = "{directory.Combine("bundles")}"
            runc_root = "{directory.Combine("runc")}"
            pause_binary = "{directory.Combine("no-pause-binary")}"
            copy_root = "{directory.Combine("copies")}"
            max_connections = 2
            idle_timeout_seconds = 2
            """, ct);
        var socket = "unix://" + directory.Combine("agent.sock");
        await using var agent = await AgentHost.StartAsync(new AgentOptions { Listen = socket, ConfigFile = config }, NullLoggerFactory.Instance, ct);

        await using var first = new ApiAgentClient(await TtrpcClient.ConnectAsync(socket, cancellationToken: ct));
        await using var second = new ApiAgentClient(await TtrpcClient.ConnectAsync(socket, cancellationToken: ct));
        await first.CheckAsync(ct);
        await second.CheckAsync(ct);

        await using var third = new ApiAgentClient(await TtrpcClient.ConnectAsync(socket, cancellationToken: ct));
        await third.Completion.WaitAsync(ct);
        await Assert.ThrowsAnyAsync<Exception>(() => third.CheckAsync(ct));
        await first.CheckAsync(ct);

        // Left alone, both are closed after the idle time-out, and the agent takes new clients again.
        await first.Completion.WaitAsync(ct);
        await second.Completion.WaitAsync(ct);
        await using var later = new ApiAgentClient(await TtrpcClient.ConnectAsync(socket, cancellationToken: ct));
        await later.CheckAsync(ct);
    }
}
