using GuestPull.Shim.Configuration;
using GuestPull.Shim.Vm;
using GuestPull.Testing;
using GuestPull.Testing.Traits;

namespace GuestPull.Shim.Tests.Vm;

[Trait(Requires.Trait, Requires.Components)]
public sealed class GuestInitDataTests
{
    [Fact]
    public async Task TheAgentsFilesAreCopiedAndItsSettingsPointAtTheCopies()
    {
        using var host = TempDirectory.Create("initdata-host");
        var registries = host.Combine("registries.conf");
        await File.WriteAllTextAsync(registries, "unqualified-search-registries = []\n");
        var auth = host.Combine("auth.json");
        await File.WriteAllTextAsync(auth, "{\"auths\":{}}");
        var registriesD = host.CreateSubdirectory("registries.d");
        await File.WriteAllTextAsync(Path.Combine(registriesD, "default.yaml"), "default-docker: {}\n");
        var certs = host.CreateSubdirectory("certs.d", "reg.example:5000");
        await File.WriteAllTextAsync(Path.Combine(certs, "ca.crt"), "PEM");
        var config = ShimConfigParser.Parse($"""
            [agent]
            registries_conf = "{registries}"
            auth_file = "{auth}"
            registries_d = "{registriesD}"
            insecure_registries = ["127.0.0.1:5000"]
            host_rootfs_root = "/srv/shared"
            """, "test");

        var files = await ExtractAsync(GuestInitData.Build(config, hostNetwork: true, [host.Combine("certs.d")]));

        var agentToml = await File.ReadAllTextAsync(Path.Combine(files.Path, "etc/guestpull/agent.toml"));
        Assert.Contains("registries_conf = \"/etc/guestpull/initdata/registries_conf/registries.conf\"", agentToml, StringComparison.Ordinal);
        Assert.Contains("auth_file = \"/etc/guestpull/initdata/auth_file/auth.json\"", agentToml, StringComparison.Ordinal);
        Assert.Contains("registries_d = \"/etc/guestpull/initdata/registries.d\"", agentToml, StringComparison.Ordinal);
        Assert.Contains("insecure_registries = [\"127.0.0.1:5000\"]", agentToml, StringComparison.Ordinal);
        Assert.Contains("loopback_gateway = \"10.0.2.2\"", agentToml, StringComparison.Ordinal);
        Assert.Contains("runc_root = ", agentToml, StringComparison.Ordinal);
        Assert.DoesNotContain("host_rootfs_root", agentToml, StringComparison.Ordinal);
        Assert.Equal("{\"auths\":{}}", await File.ReadAllTextAsync(Path.Combine(files.Path, "etc/guestpull/initdata/auth_file/auth.json")));
        Assert.Equal((UnixFileMode)0b110_000_000, File.GetUnixFileMode(Path.Combine(files.Path, "etc/guestpull/initdata/auth_file/auth.json")));
        Assert.Equal("default-docker: {}\n", await File.ReadAllTextAsync(Path.Combine(files.Path, "etc/guestpull/initdata/registries.d/default.yaml")));
        Assert.Equal("PEM", await File.ReadAllTextAsync(Path.Combine(files.Path, host.Combine("certs.d", "reg.example:5000", "ca.crt").TrimStart('/'))));
    }

    [Fact]
    public async Task APodWithItsOwnNetworkGetsNoLoopbackGateway()
    {
        var config = ShimConfigParser.Parse("[agent]\npull_concurrency = 2\n", "test");

        var files = await ExtractAsync(GuestInitData.Build(config, hostNetwork: false, []));

        var agentToml = await File.ReadAllTextAsync(Path.Combine(files.Path, "etc/guestpull/agent.toml"));
        Assert.Contains("pull_concurrency = 2", agentToml, StringComparison.Ordinal);
        Assert.DoesNotContain("loopback_gateway", agentToml, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ANodeCacheOnTheNodesLoopbackIsGivenToTheGuestAtTheGateway(bool hostNetwork)
    {
        var config = ShimConfigParser.Parse("[agent]\nnode_cache = \"127.0.0.1:5050\"\n", "test");

        var files = await ExtractAsync(GuestInitData.Build(config, hostNetwork, []));

        var agentToml = await File.ReadAllTextAsync(Path.Combine(files.Path, "etc/guestpull/agent.toml"));
        Assert.Contains("node_cache = \"10.0.2.2:5050\"", agentToml, StringComparison.Ordinal);
        Assert.DoesNotContain("127.0.0.1", agentToml, StringComparison.Ordinal);
    }

    [Fact]
    public void AMissingFileIsNamed()
    {
        var config = ShimConfigParser.Parse("[agent]\nauth_file = \"/nonexistent/auth.json\"\n", "test");

        var ex = Assert.Throws<ShimException>(() => GuestInitData.Build(config, hostNetwork: true, []));

        Assert.Contains("[agent] auth_file: cannot read /nonexistent/auth.json", ex.Message, StringComparison.Ordinal);
    }

    private static async Task<TempDirectory> ExtractAsync(byte[] archive)
    {
        var directory = TempDirectory.Create("initdata-guest");
        await ProcessRunner.RunAsync("cpio", ["-idm", "--quiet", "--no-absolute-filenames", "-D", directory.Path], new ProcessRunOptions { StandardInput = archive });
        return directory;
    }
}
