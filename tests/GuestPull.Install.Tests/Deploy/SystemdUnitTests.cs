using GuestPull.Install.Services;
using GuestPull.Testing;
using GuestPull.Testing.Traits;

namespace GuestPull.Install.Tests.Deploy;

public sealed class SystemdUnitTests
{
    [Fact]
    public void DeployedUnitIsWhatInstallWritesForTheDefaultPaths()
    {
        var deployed = File.ReadAllText(Path.Combine(TestFiles.RepositoryRoot, "deploy", "systemd", SystemdUnit.Name));

        Assert.Equal(SystemdUnit.Render("/usr/local/bin/guestpull", "/etc/guestpull/config.toml"), deployed);
    }

    [Fact]
    public void UnitIsNotifyOrderedBeforeContainerdRestartsAlwaysAndShieldedFromTheOomKiller()
    {
        var lines = SystemdUnit.Render("/usr/local/bin/guestpull", "/etc/guestpull/config.toml").Split('\n');

        Assert.Contains("Type=notify", lines);
        Assert.Contains("Before=containerd.service", lines);
        Assert.Contains("Restart=always", lines);
        Assert.Contains("OOMScoreAdjust=-999", lines);
        Assert.Contains("ExecStart=/usr/local/bin/guestpull snapshotter --config /etc/guestpull/config.toml", lines);
    }

    [Fact]
    public void DeployedCacheUnitIsWhatInstallCacheWritesForTheDefaults()
    {
        var deployed = File.ReadAllText(Path.Combine(TestFiles.RepositoryRoot, "deploy", "systemd", CacheUnit.Name));
        var defaults = new InstallOptions();

        Assert.Equal(CacheUnit.Render("/usr/local/bin/guestpull", defaults.CacheListen, defaults.CacheRoot, defaults.CacheMaxSize), deployed);
        Assert.Contains("ExecStart=/usr/local/bin/guestpull cache --listen 127.0.0.1:5050 --root /var/lib/guestpull/cache --max-size 20G", deployed.Split('\n'));
        Assert.Contains("Type=notify", deployed.Split('\n'));
    }

    [FactWhenFileExists("/usr/bin/systemd-analyze")]
    public async Task SystemdAnalyzeAcceptsTheCacheUnit()
    {
        using var directory = TempDirectory.Create("install-cache-unit");
        var unit = Path.Combine(directory.Path, CacheUnit.Name);
        await File.WriteAllTextAsync(unit, CacheUnit.Render("/bin/true", "127.0.0.1:5050", directory.Combine("cache dir"), "1G"));

        Assert.Null(await SystemdService.VerifyAsync(unit, CancellationToken.None));
    }

    [FactWhenFileExists("/usr/bin/systemd-analyze")]
    public async Task SystemdAnalyzeAcceptsTheUnitAndRejectsABrokenOne()
    {
        using var directory = TempDirectory.Create("install-unit");
        var unit = Path.Combine(directory.Path, SystemdUnit.Name);
        var config = Path.Combine(directory.Path, "config.toml");
        await File.WriteAllTextAsync(config, "version = 1\n");
        await File.WriteAllTextAsync(unit, SystemdUnit.Render("/bin/true", config));

        Assert.Null(await SystemdService.VerifyAsync(unit, CancellationToken.None));

        await File.WriteAllTextAsync(unit, SystemdUnit.Render(Path.Combine(directory.Path, "missing-guestpull"), config));
        Assert.Contains("missing-guestpull", await SystemdService.VerifyAsync(unit, CancellationToken.None), StringComparison.Ordinal);
    }
}
