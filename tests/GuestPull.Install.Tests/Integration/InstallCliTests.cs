using System.Text.Json;
using GuestPull.Install.Tests.Infrastructure;
using GuestPull.Testing;
using GuestPull.Testing.Traits;

namespace GuestPull.Install.Tests.Integration;

/// <summary>The commands as the demo runs them: <c>guestpull install --standalone</c>, <c>doctor --format json</c>, <c>uninstall</c>.</summary>
[Trait(Requires.Trait, Requires.Components)]
public sealed class InstallCliTests
{
    [Fact]
    public async Task StandaloneInstallDoctorAndUninstallThroughTheCli()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(6));
        await using var containerd = await RestartableContainerd.StartAsync(timeout.Token);
        var original = await File.ReadAllBytesAsync(containerd.ConfigPath, timeout.Token);
        var prefix = Path.Combine(containerd.Directory, "prefix");
        string[] locations = ["--containerd-config", containerd.ConfigPath, "--containerd-address", containerd.GrpcAddress, "--prefix", prefix, "--standalone"];

        try
        {
            var install = await RunAsync(["install", .. locations, "--skip-binaries", "--containerd-restart-command", containerd.RestartCommand], timeout.Token);
            Assert.True(install.ExitCode == 0, install.StandardError + install.StandardOutput);
            Assert.Contains("restarted containerd", install.StandardOutput, StringComparison.Ordinal);

            var doctor = await RunAsync(["doctor", .. locations, "--format", "json"], timeout.Token);
            using var json = JsonDocument.Parse(doctor.StandardOutput);
            var checks = json.RootElement.GetProperty("checks").EnumerateArray()
                .ToDictionary(c => c.GetProperty("check").GetString()!, c => c.GetProperty("status").GetString());
            Assert.Equal("PASS", checks["snapshotter.socket"]);
            Assert.Equal("PASS", checks["containerd.proxy-plugin"]);
            // No shim is installed here, so doctor reports that failure and exits non-zero.
            Assert.Equal("FAIL", checks["runtime.shim"]);
            Assert.Equal(1, doctor.ExitCode);

            var uninstall = await RunAsync(["uninstall", .. locations, "--containerd-restart-command", containerd.RestartCommand], timeout.Token);
            Assert.True(uninstall.ExitCode == 0, uninstall.StandardError);
            Assert.Equal(original, await File.ReadAllBytesAsync(containerd.ConfigPath, timeout.Token));
        }
        finally
        {
            await RunAsync(["uninstall", .. locations, "--no-containerd-restart"], CancellationToken.None);
        }
    }

    [Fact]
    public async Task InstallBeforeContainerdStartsThenContainerdComesUpOnTheSnapshotter()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(6));
        await using var containerd = await RestartableContainerd.CreateAsync(timeout.Token);
        var prefix = Path.Combine(containerd.Directory, "prefix");
        string[] locations = ["--containerd-config", containerd.ConfigPath, "--containerd-address", containerd.GrpcAddress, "--prefix", prefix, "--standalone", "--no-containerd-restart"];

        try
        {
            var install = await RunAsync(["install", .. locations, "--skip-binaries"], timeout.Token);
            Assert.True(install.ExitCode == 0, install.StandardError + install.StandardOutput);
            Assert.Contains("--no-containerd-restart", install.StandardError, StringComparison.Ordinal);

            await containerd.StartAsync(timeout.Token);
            var plugins = await containerd.RunCtrAsync(["plugins", "ls"]);
            Assert.Matches(@"io\.containerd\.snapshotter\.v1\s+guestpull\s+-\s+ok", plugins.StandardOutput);
            var snapshots = await containerd.RunCtrAsync(["snapshots", "--snapshotter", "guestpull", "ls"], "k8s.io", throwOnFailure: false);
            Assert.True(snapshots.Succeeded, snapshots.StandardError);
        }
        finally
        {
            var uninstall = await RunAsync(["uninstall", .. locations], CancellationToken.None);
            Assert.True(uninstall.ExitCode == 0, uninstall.StandardError);
        }
    }

    [Fact]
    public async Task ConfigOnlyPrintsTheChangeAndRefusesRuntimeSpecificOnContainerd16()
    {
        using var directory = TempDirectory.Create("install-cli");
        var config = directory.Combine("config.toml");
        await File.WriteAllTextAsync(config, await TestFiles.ContainerdDefaultConfigAsync());

        var edit = await RunAsync(["install", "--config-only", "--containerd-config", config, "--prefix", directory.Combine("p")], CancellationToken.None);
        var runtimeSpecific = await RunAsync(["install", "--config-only", "--runtime-specific", "--containerd-config", config, "--containerd-address", directory.Combine("none.sock")], CancellationToken.None);

        Assert.Equal(0, edit.ExitCode);
        Assert.Contains("+      snapshotter = \"guestpull\"", edit.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("-      snapshotter = \"overlayfs\"", edit.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("+  [proxy_plugins.guestpull]", edit.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(1, runtimeSpecific.ExitCode);
        Assert.Contains("containerd 1.7", runtimeSpecific.StandardError, StringComparison.Ordinal);
    }

    private static Task<ProcessResult> RunAsync(string[] arguments, CancellationToken cancellationToken) =>
        ProcessRunner.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "guestpull.dll"), .. arguments],
            new ProcessRunOptions { ThrowOnFailure = false, Timeout = TimeSpan.FromMinutes(4) }, cancellationToken);
}
