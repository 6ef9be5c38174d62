using GuestPull.Configuration;
using GuestPull.Install.Services;
using GuestPull.Testing;

namespace GuestPull.Install.Tests.Services;

/// <summary><c>install --cache</c>'s <c>[agent] node_cache</c> in the shim's config: set in place, undone byte for byte or key by key.</summary>
public sealed class ShimNodeCacheSettingTests : IDisposable
{
    private const string Operator = "# mine\nsandbox = \"vm\" # VMs\n\n[vm]\nvcpus = 2\n";

    private readonly TempDirectory _directory = TempDirectory.Create("install-node-cache");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void TheKeyIsAddedWithoutTouchingTheRestAndUninstallRestoresTheFileByteForByte()
    {
        var options = Options();
        File.WriteAllText(options.ShimConfigFile, Operator);
        var report = new InstallReport();

        var step = ShimNodeCacheSetting.Apply(options, report);

        Assert.NotNull(step);
        var text = File.ReadAllText(options.ShimConfigFile);
        Assert.StartsWith(Operator, text, StringComparison.Ordinal);
        var agent = TomlConfigReader.Parse(text, "shim.toml", rejectRedefinitions: true).GetTable("agent");
        Assert.Equal("127.0.0.1:5055", agent.GetString("node_cache"));
        Assert.Null(ShimNodeCacheSetting.Apply(options, new InstallReport()));

        var uninstall = new InstallReport();
        ShimNodeCacheSetting.Undo(step, uninstall);
        Assert.Equal(Operator, File.ReadAllText(options.ShimConfigFile));
        Assert.Empty(uninstall.Warnings);
    }

    [Fact]
    public void AWildcardListenAddressIsReachedOnLoopback()
    {
        var options = Options() with { CacheListen = "0.0.0.0:5050" };
        File.WriteAllText(options.ShimConfigFile, Operator);

        _ = ShimNodeCacheSetting.Apply(options, new InstallReport());

        Assert.Contains("node_cache = \"127.0.0.1:5050\"", File.ReadAllText(options.ShimConfigFile), StringComparison.Ordinal);
        Assert.Equal("[::1]:5050", CacheService.ClientAddress("[::]:5050"));
        Assert.Throws<InstallException>(() => CacheService.ClientAddress("cache.example.com:5050"));
        Assert.Throws<InstallException>(() => CacheService.ClientAddress("127.0.0.1:0"));
    }

    [Fact]
    public void ACacheThatRunsElsewhereIsWrittenAsNamed_AndAnAddressThatIsNotHostPortIsRefused()
    {
        var options = Options() with { NodeCache = "spegel.node.internal:30020" };
        File.WriteAllText(options.ShimConfigFile, Operator);

        var step = ShimNodeCacheSetting.Apply(options, new InstallReport());

        Assert.NotNull(step);
        Assert.Contains("node_cache = \"spegel.node.internal:30020\"", File.ReadAllText(options.ShimConfigFile), StringComparison.Ordinal);
        ShimNodeCacheSetting.Undo(step, new InstallReport());
        Assert.Equal(Operator, File.ReadAllText(options.ShimConfigFile));
        foreach (var bad in (string[])["http://10.0.0.7:5000", "10.0.0.7", "10.0.0.7:0", "10.0.0.7:5000/v2", ":5000"])
        {
            var error = Assert.Throws<InstallException>(() => ShimNodeCacheSetting.Address(options with { NodeCache = bad }));
            Assert.Contains(bad, error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void AFileEditedSinceKeepsTheEditsAndLosesOnlyTheKey()
    {
        var options = Options();
        File.WriteAllText(options.ShimConfigFile, Operator);
        var step = ShimNodeCacheSetting.Apply(options, new InstallReport())!;
        File.AppendAllText(options.ShimConfigFile, "pull_concurrency = 3\n");

        var uninstall = new InstallReport();
        ShimNodeCacheSetting.Undo(step, uninstall);

        var text = File.ReadAllText(options.ShimConfigFile);
        Assert.DoesNotContain("node_cache", text, StringComparison.Ordinal);
        Assert.Contains("pull_concurrency = 3", text, StringComparison.Ordinal);
        Assert.StartsWith(Operator, text, StringComparison.Ordinal);
        Assert.Single(uninstall.Warnings);
    }

    [Fact]
    public void AnOperatorsOwnNodeCacheIsReplacedWithAWarningAndComesBack()
    {
        var options = Options();
        var mine = Operator + "\n[agent]\nnode_cache = \"10.0.0.9:5000\"\n";
        File.WriteAllText(options.ShimConfigFile, mine);
        var report = new InstallReport();

        var step = ShimNodeCacheSetting.Apply(options, report)!;

        Assert.Contains(report.Warnings, w => w.Contains("\"10.0.0.9:5000\"", StringComparison.Ordinal));
        Assert.Contains("node_cache = \"127.0.0.1:5055\"", File.ReadAllText(options.ShimConfigFile), StringComparison.Ordinal);
        ShimNodeCacheSetting.Undo(step, new InstallReport());
        Assert.Equal(mine, File.ReadAllText(options.ShimConfigFile));
    }

    private InstallOptions Options() => new InstallOptions { CacheListen = "127.0.0.1:5055" }.WithPrefix(_directory.Combine("p")) with { ShimConfigPath = _directory.Combine("shim.toml") };
}
