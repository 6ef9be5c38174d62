using GuestPull.Shim.Configuration;

namespace GuestPull.Shim.Tests.Unit;

public sealed class ShimConfigParserTests
{
    [Fact]
    public void DefaultsPutTheAgentsRuncStateInTheSandbox()
    {
        var config = ShimConfigParser.Parse(string.Empty, "test");

        Assert.Equal("/run/containerd/s", config.SocketDirectory);
        Assert.Equal("/run/guestpull/shim", config.StateRoot);
        Assert.Equal("/run/guestpull/shared/sandboxes", config.SharedRoot);
        Assert.Equal("runc_root = \"/run/kata-containers/runc\"\nhost_rootfs_root = \"/run/guestpull/shared/sandboxes\"\n", config.AgentToml);
    }

    [Fact]
    public void AllowHostRootfs_IsOffByDefault_AndReadAsABoolean()
    {
        Assert.False(ShimConfigParser.Parse(string.Empty, "test").AllowHostRootfs);
        var config = ShimConfigParser.Parse("allow_host_rootfs = true\n", "test");
        Assert.True(config.AllowHostRootfs);
        Assert.Empty(config.Warnings);
        Assert.Throws<ShimException>(() => ShimConfigParser.Parse("allow_host_rootfs = \"yes\"\n", "test"));
    }

    [Fact]
    public void TheAgentTakesHostRootfsOnlyFromTheSharedRoot_UnlessTheAgentTableSaysOtherwise()
    {
        var shared = ShimConfigParser.Parse("shared_root = \"/srv/shared\"\n", "test");
        Assert.Contains("host_rootfs_root = \"/srv/shared\"\n", shared.AgentToml, StringComparison.Ordinal);

        var own = ShimConfigParser.Parse("[agent]\nhost_rootfs_root = \"/elsewhere\"\n", "test");
        Assert.Contains("host_rootfs_root = \"/elsewhere\"\n", own.AgentToml, StringComparison.Ordinal);
        Assert.DoesNotContain("/run/guestpull/shared/sandboxes", own.AgentToml, StringComparison.Ordinal);
    }

    [Fact]
    public void TheAgentTableIsPassedThroughAsTheAgentsConfig()
    {
        var config = ShimConfigParser.Parse("""
            shared_root = "/srv/shared/"
            agent_start_timeout_seconds = 90
            [agent]
            insecure_registries = ["127.0.0.1:5000", "reg:1"]
            registries_conf = "/etc/containers/registries.conf"
            auth_file = "/etc/a\"uth.json"
            pull_concurrency = 4
            """, "test");

        Assert.Equal("/srv/shared", config.SharedRoot);
        Assert.Equal(TimeSpan.FromSeconds(90), config.AgentStartTimeout);
        Assert.Contains("insecure_registries = [\"127.0.0.1:5000\", \"reg:1\"]\n", config.AgentToml, StringComparison.Ordinal);
        Assert.Contains("registries_conf = \"/etc/containers/registries.conf\"\n", config.AgentToml, StringComparison.Ordinal);
        Assert.Contains("auth_file = \"/etc/a\\\"uth.json\"\n", config.AgentToml, StringComparison.Ordinal);
        Assert.Contains("pull_concurrency = 4\n", config.AgentToml, StringComparison.Ordinal);
        Assert.Contains("runc_root = \"/run/kata-containers/runc\"\n", config.AgentToml, StringComparison.Ordinal);

        // What the shim renders, the agent reads.
        var agent = Tomlyn.TomlSerializer.Deserialize<Tomlyn.Model.TomlTable>(config.AgentToml)!;
        Assert.Equal("/etc/a\"uth.json", agent["auth_file"]);
    }

    [Fact]
    public void UnknownKeysAreWarnedAbout()
    {
        var config = ShimConfigParser.Parse("colour = 1\n[agent]\nflavour = 2\n", "f.toml");

        Assert.Equal(["f.toml: colour: unknown key, ignored", "f.toml: [agent] flavour: unknown key, ignored"], config.Warnings);
    }

    [Theory]
    [InlineData("shared_root = \"relative\"", "f.toml: shared_root: expected an absolute path, got \"relative\"")]
    [InlineData("agent_start_timeout_seconds = 0", "f.toml: agent_start_timeout_seconds: expected a whole number of seconds between 1 and 86400, got 0")]
    [InlineData("agent = 3", "f.toml: agent: expected a table, written [agent], got 3")]
    [InlineData("[agent]\ninsecure_registries = [1]", "f.toml: [agent] insecure_registries: expected an array of strings, got 1 at index 0")]
    [InlineData("[agent]\npull_concurrency = 1.5", "f.toml: [agent] pull_concurrency: expected a string, an integer, true or false, or an array of strings, got 1.5")]
    [InlineData("shared_root = ", "f.toml: line 1, column ")]
    [InlineData("shared_root = ", ": not valid TOML: ")]
    public void BadValuesAreRefusedWithTheKeyNamed(string toml, string expected)
    {
        var ex = Assert.Throws<ShimException>(() => ShimConfigParser.Parse(toml, "f.toml"));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }
}
