using System.Net;
using GuestPull.Agent.Configuration;
using GuestPull.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using GuestPull.Testing.Traits;

namespace GuestPull.Agent.Tests;

[Trait(Requires.Trait, Requires.Components)]
public sealed class ConfigurationTests
{
    [Fact]
    public void EveryKey_IsRead()
    {
        var settings = AgentConfigParser.Parse("""
            image_root = "/srv/image"
            bundle_root = "/srv/bundles/"
            registries_conf = "/etc/agent/registries.conf"
            auth_file = "/etc/agent/auth.json"
            policy = "/etc/agent/policy.json"
            insecure_registries = ["10.0.0.1:5000", "registry.local"]
            pull_concurrency = 5
            pull_timeout_seconds = 30
            max_layer_size = 1073741824
            runc_path = "/usr/local/sbin/runc"
            runc_root = "/run/agent-runc"
            pause_binary = "/opt/busybox"
            copy_root = "/run/copies/"
            loopback_gateway = "10.0.2.2"
            """, "agent.toml");

        Assert.Equal("/srv/image", settings.ImageRoot);
        Assert.Equal("/srv/bundles", settings.BundleRoot);
        Assert.Equal("/etc/agent/registries.conf", settings.RegistriesConf);
        Assert.Equal("/etc/agent/auth.json", settings.AuthFile);
        Assert.Equal("/etc/agent/policy.json", settings.Policy);
        Assert.Equal(["10.0.0.1:5000", "registry.local"], settings.InsecureRegistries);
        Assert.Equal(5, settings.PullConcurrency);
        Assert.Equal(TimeSpan.FromSeconds(30), settings.PullTimeout);
        Assert.Equal(1L << 30, settings.MaxLayerSize);
        Assert.Equal("/usr/local/sbin/runc", settings.RuncPath);
        Assert.Equal("/run/agent-runc", settings.RuncRoot);
        Assert.Equal("/opt/busybox", settings.PauseBinary);
        Assert.Equal("/run/copies", settings.CopyRoot);
        Assert.Equal(IPAddress.Parse("10.0.2.2"), settings.LoopbackGateway);
        Assert.Empty(settings.Warnings);
    }

    [Fact]
    public void Defaults_AreKatasPaths()
    {
        var settings = AgentConfigParser.Parse(string.Empty, "empty.toml");
        Assert.Equal("/run/kata-containers/image", settings.ImageRoot);
        Assert.Equal("/run/kata-containers", settings.BundleRoot);
        Assert.Equal(TimeSpan.FromSeconds(1200), settings.PullTimeout);
        Assert.Null(settings.MaxLayerSize);
        Assert.Equal("/run/kata-containers/shared/containers", settings.CopyRoot);
        Assert.Null(settings.LoopbackGateway);
    }

    [Theory]
    [InlineData("10.0.2.2")]
    [InlineData("192.168.122.1")]
    [InlineData("fd00::2")]
    [InlineData("::1")]
    public void LoopbackGateway_TakesAnIPv4OrIPv6Address(string address)
    {
        var settings = AgentConfigParser.Parse($"loopback_gateway = \"{address}\"\n", "agent.toml");
        Assert.Equal(IPAddress.Parse(address), settings.LoopbackGateway);
    }

    [Theory]
    [InlineData("127.0.0.1:5050")]
    [InlineData("cache.node.internal:5050")]
    [InlineData("[fd00::2]:5050")]
    public void NodeCache_TakesAHostAndPort(string hostPort)
    {
        var settings = AgentConfigParser.Parse($"node_cache = \"{hostPort}\"\n", "agent.toml");
        Assert.Equal(hostPort, settings.NodeCache);
    }

    [Fact]
    public void UnknownKey_IsWarnedAbout()
    {
        var settings = AgentConfigParser.Parse("image_root = \"/srv/image\"\nshared_fs = \"virtio-fs\"\n", "agent.toml");
        Assert.Equal("agent.toml: shared_fs: unknown key, ignored", Assert.Single(settings.Warnings));
    }

    [Theory]
    [InlineData("pull_timeout_seconds = 0", "agent.toml: pull_timeout_seconds: expected a whole number of seconds between 1 and 86400, got 0")]
    [InlineData("pull_concurrency = \"four\"", "agent.toml: pull_concurrency: expected an integer between 1 and 64, got \"four\"")]
    [InlineData("image_root = \"relative/dir\"", "agent.toml: image_root: expected an absolute path, got \"relative/dir\"")]
    [InlineData("bundle_root = 3", "agent.toml: bundle_root: expected an absolute path, got 3")]
    [InlineData("insecure_registries = \"host:5000\"", "agent.toml: insecure_registries: expected an array of strings, got \"host:5000\"")]
    [InlineData("insecure_registries = [\"http://host:5000\"]", "agent.toml: insecure_registries: expected an array of \"host[:port]\" strings, got \"http://host:5000\"")]
    [InlineData("runc_path = \"\"", "agent.toml: runc_path: expected a non-empty string, got \"\"")]
    [InlineData("copy_root = \"shared/containers\"", "agent.toml: copy_root: expected an absolute path, got \"shared/containers\"")]
    [InlineData("copy_root = \"\"", "agent.toml: copy_root: expected an absolute path, got \"\"")]
    [InlineData("loopback_gateway = \"host.internal\"", "agent.toml: loopback_gateway: expected an IPv4 or IPv6 address, e.g. \"10.0.2.2\", got \"host.internal\"")]
    [InlineData("loopback_gateway = \"10.0.2\"", "agent.toml: loopback_gateway: expected an IPv4 or IPv6 address, e.g. \"10.0.2.2\", got \"10.0.2\"")]
    [InlineData("loopback_gateway = \"010.0.2.2\"", "agent.toml: loopback_gateway: expected an IPv4 or IPv6 address, e.g. \"10.0.2.2\", got \"010.0.2.2\"")]
    [InlineData("loopback_gateway = \"10.0.2.2:5000\"", "agent.toml: loopback_gateway: expected an IPv4 or IPv6 address, e.g. \"10.0.2.2\", got \"10.0.2.2:5000\"")]
    [InlineData("loopback_gateway = \"[fd00::2]\"", "agent.toml: loopback_gateway: expected an IPv4 or IPv6 address, e.g. \"10.0.2.2\", got \"[fd00::2]\"")]
    [InlineData("loopback_gateway = \"fe80::1%eth0\"", "agent.toml: loopback_gateway: expected an IPv4 or IPv6 address, e.g. \"10.0.2.2\", got \"fe80::1%eth0\"")]
    [InlineData("loopback_gateway = \"0.0.0.0\"", "agent.toml: loopback_gateway: expected an IPv4 or IPv6 address, e.g. \"10.0.2.2\", got \"0.0.0.0\"")]
    [InlineData("loopback_gateway = \"\"", "agent.toml: loopback_gateway: expected an IPv4 or IPv6 address, e.g. \"10.0.2.2\", got \"\"")]
    [InlineData("loopback_gateway = 10", "agent.toml: loopback_gateway: expected an IPv4 or IPv6 address, e.g. \"10.0.2.2\", got 10")]
    [InlineData("node_cache = \"127.0.0.1\"", "agent.toml: node_cache: expected \"host:port\" of the node cache, e.g. \"127.0.0.1:5050\", got \"127.0.0.1\"")]
    [InlineData("node_cache = \"127.0.0.1:5050/registry.example.com\"", "agent.toml: node_cache: expected \"host:port\" of the node cache")]
    [InlineData("node_cache = \"127.0.0.1:0\"", "agent.toml: node_cache: expected \"host:port\" of the node cache")]
    [InlineData("image_root = ", "agent.toml: line 1, column ")]
    [InlineData("image_root = ", ": not valid TOML: ")]
    public void InvalidValue_IsRefused_NamingTheKey(string toml, string message)
    {
        var error = Assert.Throws<AgentConfigurationException>(() => AgentConfigParser.Parse(toml, "agent.toml"));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.StartsWith("agent.toml: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_RefusesAMissingPolicyFile_NamingTheKey()
    {
        using var directory = TempDirectory.Create("agent-config");
        var config = directory.Combine("agent.toml");
        await File.WriteAllTextAsync(config, $"""
            image_root = "{directory.Combine("image")}"
            bundle_root = "{directory.Combine("bundles")}"
            runc_root = "{directory.Combine("runc")}"
            policy = "{directory.Combine("absent-policy.json")}"
            """);
        var options = new AgentOptions { Listen = "unix://" + directory.Combine("agent.sock"), ConfigFile = config };
        var error = await Assert.ThrowsAsync<AgentConfigurationException>(() => AgentHost.RunAsync(options, NullLoggerFactory.Instance, CancellationToken.None));
        Assert.Contains("'policy'", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(directory.Combine("agent.sock")), "nothing listens after a refused start");
    }

    [Fact]
    public async Task Start_RefusesAnUnreadableConfigFile()
    {
        using var directory = TempDirectory.Create("agent-config");
        var options = new AgentOptions { Listen = "unix://" + directory.Combine("agent.sock"), ConfigFile = directory.Combine("missing.toml") };
        var error = await Assert.ThrowsAsync<AgentConfigurationException>(() => AgentHost.RunAsync(options, NullLoggerFactory.Instance, CancellationToken.None));
        Assert.Contains("missing.toml", error.Message, StringComparison.Ordinal);
    }
}
