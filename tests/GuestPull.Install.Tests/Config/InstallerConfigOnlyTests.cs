using GuestPull.Install.Containerd;
using GuestPull.Testing;
using GuestPull.Testing.Traits;

namespace GuestPull.Install.Tests.Config;

/// <summary>The config step through the installer's front door: a minimal hand-written config, and uninstall without a record.</summary>
[Trait(Requires.Trait, Requires.Components)]
public sealed class InstallerConfigOnlyTests : IDisposable
{
    private readonly TempDirectory _directory = TempDirectory.Create("install-config-only");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task MinimalConfigGetsFlatNewTablesContainerdAcceptsAndUninstallRestoresIt()
    {
        var options = Options();
        var original = TestFiles.ReadTestData("containerd-minimal.toml");
        await File.WriteAllTextAsync(options.ContainerdConfig, original);

        var report = await GuestPullInstaller.InstallAsync(options, CancellationToken.None);

        var edited = await File.ReadAllTextAsync(options.ContainerdConfig);
        Assert.Equal(edited, report.ConfigAfter);
        Assert.Contains("\n[plugins.\"io.containerd.grpc.v1.cri\".containerd]\n  disable_snapshot_annotations = false\n", edited, StringComparison.Ordinal);
        Assert.Contains("\n[proxy_plugins.guestpull]\n  type = \"snapshot\"\n", edited, StringComparison.Ordinal);
        var dump = await ProcessRunner.RunAsync("containerd", ["--config", options.ContainerdConfig, "config", "dump"],
            new ProcessRunOptions { ThrowOnFailure = false, Timeout = TimeSpan.FromMinutes(1) });
        Assert.True(dump.Succeeded, dump.StandardError);
        Assert.Contains("snapshotter = \"guestpull\"", dump.StandardOutput, StringComparison.Ordinal);

        await GuestPullInstaller.UninstallAsync(options, keepState: false, CancellationToken.None);

        Assert.Equal(original, await File.ReadAllTextAsync(options.ContainerdConfig));
        Assert.False(Directory.Exists(options.StateDirectory));
    }

    [Fact]
    public async Task UninstallWithoutARecordRemovesGuestPullsTablesAndSnapshotter()
    {
        var options = Options();
        var patch = ContainerdConfigPatcher.Apply(TestFiles.ReadTestData("containerd-1.7.toml"), options.ContainerdConfig,
            new ContainerdConfigRequest { SnapshotterAddress = options.SnapshotterAddress });
        await File.WriteAllTextAsync(options.ContainerdConfig, patch.Text);

        var report = await GuestPullInstaller.UninstallAsync(options, keepState: false, CancellationToken.None);

        var text = await File.ReadAllTextAsync(options.ContainerdConfig);
        Assert.DoesNotContain("guestpull", text, StringComparison.Ordinal);
        Assert.Contains("[proxy_plugins.stargz]", text, StringComparison.Ordinal);
        Assert.Contains(report.Warnings, w => w.Contains("no install record", StringComparison.Ordinal));
    }

    private InstallOptions Options() => new InstallOptions
    {
        ContainerdConfig = _directory.Combine("config.toml"),
        ConfigOnly = true,
    }.WithPrefix(_directory.Combine("prefix"));
}
