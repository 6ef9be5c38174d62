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
