using GuestPull.Snapshotter.Hosting;
using GuestPull.Testing;
using Microsoft.Extensions.Logging;

namespace GuestPull.Snapshotter.Tests;

public sealed class SettingsResolverTests : IDisposable
{
    // nydus-snapshotter's misc/snapshotter/config-proxy.toml, as its DaemonSet installs it.
    private const string NydusProxyConfig = """
        version = 1
        root = "/var/lib/containerd/io.containerd.snapshotter.v1.nydus"
        address = "/run/containerd-nydus/containerd-nydus-grpc.sock"
        daemon_mode = "none"

        [daemon]
        fs_driver = "proxy"

        [snapshot]
        enable_kata_volume = true
        """;

    private readonly TempDirectory _directory = TempDirectory.Create("snapshotter-config");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task NydusConfigProxyToml_IsAcceptedAsIs()
    {
        var settings = await ResolveAsync(NydusProxyConfig, new SnapshotterOptions());
        Assert.Equal("/var/lib/containerd/io.containerd.snapshotter.v1.nydus", settings.Root);
        Assert.Equal("/run/containerd-nydus/containerd-nydus-grpc.sock", settings.Address);
        Assert.Equal(SnapshotterDriver.Proxy, settings.Driver);
        Assert.False(settings.AllowHostRootfs);
        Assert.Empty(settings.Warnings);
    }

    [Fact]
    public async Task AllowHostRootfs_IsReadFromTheSnapshotTable()
    {
        var settings = await ResolveAsync(NydusProxyConfig + "\nallow_host_rootfs = true\n", new SnapshotterOptions());
        Assert.True(settings.AllowHostRootfs);
        Assert.Empty(settings.Warnings);
    }

    [Fact]
    public async Task Flags_OverrideTheFile()
    {
        var settings = await ResolveAsync(NydusProxyConfig, new SnapshotterOptions
        {
            Root = "/srv/root",
            Address = "/srv/gp.sock",
            FsDriver = "overlayfs",
            LogLevel = "debug",
            LogToStdout = true,
        });
        Assert.Equal("/srv/root", settings.Root);
        Assert.Equal("/srv/gp.sock", settings.Address);
        Assert.Equal(SnapshotterDriver.Overlayfs, settings.Driver);
        Assert.Equal(LogLevel.Debug, settings.LogLevel);
        Assert.True(settings.LogToStdout);
    }

    [Fact]
    public async Task Defaults_WithoutFileOrFlags()
    {
        var settings = await SettingsResolver.ResolveAsync(new SnapshotterOptions(), CancellationToken.None);
        Assert.Equal(SnapshotterOptions.DefaultRoot, settings.Root);
        Assert.Equal(SnapshotterOptions.DefaultAddress, settings.Address);
        Assert.Equal(SnapshotterDriver.Proxy, settings.Driver);
        Assert.Equal(LogLevel.Information, settings.LogLevel);
    }

    [Fact]
    public async Task UnknownKeys_AreWarnedAbout()
    {
        var settings = await ResolveAsync("cleanup_on_close = true\n" + NydusProxyConfig + "\n[remote]\nconvert_vpc_registry = false\n", new SnapshotterOptions());
        Assert.Contains(settings.Warnings, warning => warning.EndsWith("config.toml: cleanup_on_close: unknown key, ignored", StringComparison.Ordinal));
        Assert.Contains(settings.Warnings, warning => warning.EndsWith("config.toml: remote: unknown key, ignored", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("version = 2", "config.toml: version: expected 1, got 2")]
    [InlineData("root = 5", "config.toml: root: expected a string, got 5")]
    [InlineData("daemon_mode = \"dedicated\"", "config.toml: daemon_mode: expected \"none\", got \"dedicated\"")]
    [InlineData("[daemon]\nfs_driver = \"fusedev\"", "config.toml: [daemon] fs_driver: expected \"proxy\" or \"overlayfs\", got \"fusedev\"")]
    [InlineData("[snapshot]\nenable_kata_volume = \"yes\"", "config.toml: [snapshot] enable_kata_volume: expected true or false, got \"yes\"")]
    [InlineData("[log]\nlevel = \"loud\"", "config.toml: [log] level: expected one of trace, debug, info, warn, error, fatal, none, got \"loud\"")]
    [InlineData("root = \"relative/dir\"", "config.toml: root: expected an absolute path, got \"relative/dir\"")]
    [InlineData("this is not toml", "config.toml: line 1, column ")]
    [InlineData("this is not toml", ": not valid TOML: ")]
    public async Task InvalidValues_AreRefusedNamingTheKey(string toml, string named)
    {
        var error = await Assert.ThrowsAsync<SnapshotterConfigurationException>(() => ResolveAsync(toml, new SnapshotterOptions()));
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvalidFlag_IsRefusedNamingTheFlag()
    {
        var error = await Assert.ThrowsAsync<SnapshotterConfigurationException>(() =>
            SettingsResolver.ResolveAsync(new SnapshotterOptions { FsDriver = "nodev" }, CancellationToken.None));
        Assert.Contains("--fs-driver", error.Message, StringComparison.Ordinal);
    }

    private async Task<SnapshotterSettings> ResolveAsync(string toml, SnapshotterOptions flags)
    {
        var path = _directory.Combine("config.toml");
        await File.WriteAllTextAsync(path, toml);
        return await SettingsResolver.ResolveAsync(
            new SnapshotterOptions
            {
                ConfigFile = path,
                Root = flags.Root,
                Address = flags.Address,
                FsDriver = flags.FsDriver,
                LogLevel = flags.LogLevel,
                LogToStdout = flags.LogToStdout,
            },
            CancellationToken.None);
    }
}
