using GuestPull.Install.Kubernetes;

namespace GuestPull.Install.Tests.Config;

public sealed class EnvironmentSettingsTests
{
    [Fact]
    public void SeedKeysMapOntoInstallOptions()
    {
        var environment = new Dictionary<string, string>
        {
            ["FS_DRIVER"] = "overlayfs",
            ["ENABLE_CONFIG_FROM_VOLUME"] = "true",
            ["ENABLE_RUNTIME_SPECIFIC_SNAPSHOTTER"] = "TRUE",
            ["ENABLE_SYSTEMD_SERVICE"] = "false",
            ["NODE_NAME"] = "node-1",
        };

        var options = EnvironmentSettings.Apply(new InstallOptions(), key => environment.GetValueOrDefault(key));

        Assert.Equal("overlayfs", options.FsDriver);
        Assert.Equal(EnvironmentSettings.ConfigVolumeFile, options.SnapshotterConfigSource);
        Assert.True(options.RuntimeSpecific);
        Assert.Equal(ServiceMode.Standalone, options.ServiceMode);
        Assert.Equal("node-1", options.NodeName);
    }

    [Fact]
    public void NodeCacheKeysMapOntoInstallOptions()
    {
        var own = EnvironmentSettings.Apply(new InstallOptions(), key => key == "ENABLE_NODE_CACHE" ? "true" : null);
        var elsewhere = EnvironmentSettings.Apply(new InstallOptions(), key => key == "NODE_CACHE" ? " 10.0.0.7:5000 " : null);

        Assert.True(own.Cache);
        Assert.Null(own.NodeCache);
        Assert.False(elsewhere.Cache);
        Assert.Equal("10.0.0.7:5000", elsewhere.NodeCache);
    }

    [Theory]
    [InlineData("ENABLE_NODE_CACHE", "sometimes", "ENABLE_NODE_CACHE")]
    [InlineData("FS_DRIVER", "fusedev", "FS_DRIVER")]
    [InlineData("ENABLE_SYSTEMD_SERVICE", "maybe", "ENABLE_SYSTEMD_SERVICE")]
    public void UnknownValuesAreRefusedNamingTheKey(string key, string value, string named)
    {
        var error = Assert.Throws<InstallException>(() => EnvironmentSettings.Apply(new InstallOptions(), k => k == key ? value : null));

        Assert.Contains(named, error.Message, StringComparison.Ordinal);
        Assert.Contains(value, error.Message, StringComparison.Ordinal);
    }
}
