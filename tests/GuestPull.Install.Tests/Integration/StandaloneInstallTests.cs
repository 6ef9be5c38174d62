using GuestPull.Install.Doctor;
using GuestPull.Install.Services;
using GuestPull.Install.Tests.Infrastructure;
using GuestPull.Testing;
using GuestPull.Testing.Traits;

namespace GuestPull.Install.Tests.Integration;

/// <summary>
/// <c>guestpull install --standalone</c> against a private containerd built from the real default config:
/// the edited config is loaded by containerd, which then pulls through the snapshotter; uninstall puts
/// every file back; a failed step rolls the earlier ones back.
/// </summary>
[Trait(Requires.Trait, Requires.Components)]
public sealed class StandaloneInstallTests : IClassFixture<BusyboxImageFixture>
{
    private readonly BusyboxImageFixture _busybox;

    public StandaloneInstallTests(BusyboxImageFixture busybox) => _busybox = busybox;

    [Fact]
    public async Task InstallSwitchesAPrivateContainerdToTheSnapshotterAndUninstallLeavesTheFilesAsTheyWere()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        await using var registry = await RegistryInstance.StartAsync(timeout.Token);
        var image = $"{registry.Host}/install/busybox:1";
        await ImageBuilder.PushAsync(_busybox.LayoutDirectory, BusyboxImageFixture.Tag, registry, "install/busybox:1", cancellationToken: timeout.Token);
        await using var containerd = await RestartableContainerd.StartAsync(timeout.Token);
        var originalConfig = await File.ReadAllBytesAsync(containerd.ConfigPath, timeout.Token);
        var options = Options(containerd);

        try
        {
            var report = await GuestPullInstaller.InstallAsync(options, timeout.Token);

            Assert.Contains(report.Steps, s => s.StartsWith("restarted containerd", StringComparison.Ordinal));
            Assert.True(File.Exists(options.StateFile));
            Assert.True(File.Exists(options.ContainerdConfigBackup));
            Assert.Equal(originalConfig, await File.ReadAllBytesAsync(options.ContainerdConfigBackup, timeout.Token));
            Assert.NotNull(StandaloneSnapshotter.RunningPid(StandaloneSnapshotter.PidFile(options)));
            Assert.True(File.Exists(Path.Combine(options.BinDirectory, "guestpull")));
            // The test build has no guest image: install goes on and says VM pods cannot start.
            Assert.Contains(report.Warnings, w => w.StartsWith("no guest image in", StringComparison.Ordinal));
            Assert.Contains("sandbox = \"vm\"", await File.ReadAllTextAsync(options.ShimConfigFile, timeout.Token), StringComparison.Ordinal);

            // The restarted containerd loaded the edited config: it knows the proxy plugin and pulls through it.
            var plugins = await containerd.RunCtrAsync(["plugins", "ls"]);
            Assert.Contains("guestpull", plugins.StandardOutput, StringComparison.Ordinal);
            var pull = await containerd.RunCtrAsync(["images", "pull", "--plain-http", "--snapshotter", "guestpull", image], "k8s.io", throwOnFailure: false);
            Assert.True(pull.Succeeded, pull.StandardError + containerd.DescribeLog() + StandaloneSnapshotter.LogTail(options));
            var snapshots = await containerd.RunCtrAsync(["snapshots", "--snapshotter", "guestpull", "ls"], "k8s.io");
            Assert.Contains("Committed", snapshots.StandardOutput, StringComparison.Ordinal);

            var doctor = await GuestPullDoctor.RunAsync(options, timeout.Token);
            foreach (var check in new[] { "containerd.config", "containerd.annotations", "containerd.layers", "containerd.proxy-plugin", "containerd.snapshotter", "containerd.runtime", "snapshotter.socket" })
            {
                Assert.True(doctor.Find(check)?.Status == DoctorStatus.Pass, $"{check}: {doctor.Find(check)}");
            }

            // A second install changes nothing in containerd's config.
            var configAfterInstall = await File.ReadAllBytesAsync(containerd.ConfigPath, timeout.Token);
            await GuestPullInstaller.InstallAsync(options, timeout.Token);
            Assert.Equal(configAfterInstall, await File.ReadAllBytesAsync(containerd.ConfigPath, timeout.Token));
            var record = await File.ReadAllTextAsync(options.StateFile, timeout.Token);
            Assert.Single(System.Text.RegularExpressions.Regex.Matches(record, "\"kind\": \"binaries\""));
            Assert.Single(System.Text.RegularExpressions.Regex.Matches(record, "\"kind\": \"containerd-config\""));
            Assert.Single(System.Text.RegularExpressions.Regex.Matches(record, "\"kind\": \"shim-config\""));

            await GuestPullInstaller.UninstallAsync(options, keepState: false, timeout.Token);

            Assert.Equal(originalConfig, await File.ReadAllBytesAsync(containerd.ConfigPath, timeout.Token));
            Assert.False(File.Exists(options.ContainerdConfigBackup));
            Assert.False(Directory.Exists(options.StateDirectory));
            Assert.Empty(FilesUnder(options));
            var after = await containerd.RunCtrAsync(["plugins", "ls"]);
            Assert.DoesNotContain("guestpull", after.StandardOutput, StringComparison.Ordinal);
        }
        finally
        {
            await StopLeftoverSnapshotterAsync(options);
        }
    }

    [Fact]
    public async Task FailureAfterTheSnapshotterStartedRollsEverythingBack()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await using var containerd = await RestartableContainerd.StartAsync(timeout.Token);
        var originalConfig = await File.ReadAllBytesAsync(containerd.ConfigPath, timeout.Token);
        var options = Options(containerd) with { ContainerdRestartCommand = "echo 'containerd.service: no such unit' >&2; exit 5" };

        try
        {
            var error = await Assert.ThrowsAsync<InstallException>(() => GuestPullInstaller.InstallAsync(options, timeout.Token));

            Assert.Contains("no such unit", error.Message, StringComparison.Ordinal);
            Assert.Contains("undid", error.Message, StringComparison.Ordinal);
            Assert.Equal(originalConfig, await File.ReadAllBytesAsync(containerd.ConfigPath, timeout.Token));
            Assert.False(File.Exists(options.ContainerdConfigBackup));
            Assert.False(File.Exists(options.StateFile));
            Assert.Null(StandaloneSnapshotter.RunningPid(StandaloneSnapshotter.PidFile(options)));
            Assert.Empty(FilesUnder(options));
        }
        finally
        {
            await StopLeftoverSnapshotterAsync(options);
        }
    }

    [FactWithoutSystemd]
    public async Task SystemdModeWithoutSystemdFailsAtSystemctlAndRollsBack()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await using var containerd = await RestartableContainerd.CreateAsync(timeout.Token);
        var originalConfig = await File.ReadAllBytesAsync(containerd.ConfigPath, timeout.Token);
        var options = Options(containerd) with { ServiceMode = ServiceMode.Systemd, ContainerdRestartCommand = null };

        var error = await Assert.ThrowsAsync<InstallException>(() => GuestPullInstaller.InstallAsync(options, timeout.Token));

        Assert.Contains("systemctl daemon-reload failed", error.Message, StringComparison.Ordinal);
        Assert.Contains("undid", error.Message, StringComparison.Ordinal);
        Assert.Equal(originalConfig, await File.ReadAllBytesAsync(containerd.ConfigPath, timeout.Token));
        Assert.False(File.Exists(Path.Combine(options.SystemdUnitDirectory, SystemdUnit.Name)));
        Assert.False(File.Exists(options.StateFile));
        Assert.Empty(FilesUnder(options));
    }

    private static InstallOptions Options(RestartableContainerd containerd) => new InstallOptions
    {
        ContainerdConfig = containerd.ConfigPath,
        ContainerdAddress = containerd.GrpcAddress,
        ServiceMode = ServiceMode.Standalone,
        ContainerdRestartCommand = containerd.RestartCommand,
        SourceDirectory = AppContext.BaseDirectory,
        ReadyTimeout = TimeSpan.FromMinutes(2),
    }.WithPrefix(Path.Combine(containerd.Directory, "prefix"));

    // Files left under the prefix, except the snapshotter's data, which uninstall keeps on purpose.
    private static List<string> FilesUnder(InstallOptions options)
    {
        var root = Path.GetDirectoryName(options.BinDirectory)!;
        return Directory.Exists(root)
            ? [.. Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Where(f => !f.StartsWith(options.SnapshotterRoot + "/", StringComparison.Ordinal))]
            : [];
    }

    private static async Task StopLeftoverSnapshotterAsync(InstallOptions options)
    {
        var pidFile = StandaloneSnapshotter.PidFile(options);
        if (File.Exists(pidFile))
        {
            await StandaloneSnapshotter.StopAsync(pidFile, TimeSpan.FromSeconds(10), CancellationToken.None);
        }
    }
}
