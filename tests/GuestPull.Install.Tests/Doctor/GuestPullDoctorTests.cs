using GuestPull.Install.Containerd;
using GuestPull.Configuration.Sandbox;
using GuestPull.Install.Doctor;
using GuestPull.Install.Tests.Infrastructure;
using GuestPull.Snapshotter;
using GuestPull.Testing;
using GuestPull.Testing.Traits;

namespace GuestPull.Install.Tests.Doctor;

/// <summary>Each doctor check passes on a good setup and fails on the broken one it names.</summary>
[Trait(Requires.Trait, Requires.Components)]
public sealed class GuestPullDoctorTests : IDisposable
{
    private readonly TempDirectory _directory = TempDirectory.Create("install-doctor");

    public void Dispose() => _directory.Dispose();

    public static TheoryData<string, string, string> ConfigBreakages => new()
    {
        { "containerd.annotations", "disable_snapshot_annotations = false", "disable_snapshot_annotations = true" },
        { "containerd.layers", "discard_unpacked_layers = false", "discard_unpacked_layers = true" },
        { "containerd.proxy-plugin", "[proxy_plugins.guestpull]", "[proxy_plugins.other]" },
        { "containerd.proxy-plugin", "type = \"snapshot\"", "type = \"content\"" },
        { "containerd.snapshotter", "snapshotter = \"guestpull\"", "snapshotter = \"overlayfs\"" },
        { "containerd.runtime", "runtime_type = \"io.containerd.guestpull.v2\"", "runtime_type = \"io.containerd.runc.v2\"" },
        { "containerd.config", "version = 2", "# version = 2" },
    };

    [Theory]
    [MemberData(nameof(ConfigBreakages))]
    public async Task ConfigCheckPassesOnTheInstalledConfigAndFailsWhenItsSettingIsBroken(string check, string good, string broken)
    {
        var options = await WriteInstalledConfigAsync();
        var passing = await GuestPullDoctor.RunAsync(options, CancellationToken.None);
        Assert.True(passing.Find(check)?.Status == DoctorStatus.Pass, passing.Find(check)?.ToString());

        var text = await File.ReadAllTextAsync(options.ContainerdConfig);
        Assert.Contains(good, text, StringComparison.Ordinal);
        await File.WriteAllTextAsync(options.ContainerdConfig, text.Replace(good, broken, StringComparison.Ordinal));
        var failing = await GuestPullDoctor.RunAsync(options, CancellationToken.None);

        var finding = failing.Find(check);
        Assert.True(finding?.Status == DoctorStatus.Fail, finding?.ToString());
        Assert.NotEmpty(finding!.Fix);
        Assert.True(failing.HasFailures);
    }

    [Fact]
    public async Task MissingConfigFails()
    {
        var options = Options() with { ContainerdConfig = _directory.Combine("absent.toml") };

        var report = await GuestPullDoctor.RunAsync(options, CancellationToken.None);

        Assert.Equal(DoctorStatus.Fail, report.Find("containerd.config")?.Status);
    }

    [Fact]
    public async Task RuntimeSpecificModeFailsOnContainerdOlderThan17AndWhenAHandlerLacksTheSnapshotter()
    {
        var options = await WriteInstalledConfigAsync() with { RuntimeSpecific = true };
        var version = ContainerdVersion.Parse((await ProcessRunner.RunAsync("containerd", ["--version"])).StandardOutput);

        var report = await GuestPullDoctor.RunAsync(options, CancellationToken.None);

        var expected = version.IsAtLeast(ContainerdVersion.RuntimeSpecificSnapshotter) ? DoctorStatus.Pass : DoctorStatus.Fail;
        Assert.Equal(expected, report.Find("containerd.version")?.Status);
        // The config has the global snapshotter, so the guestpull handler has no snapshotter of its own.
        Assert.Equal(DoctorStatus.Fail, report.Find("containerd.snapshotter")?.Status);
        Assert.Contains("guestpull", report.Find("containerd.snapshotter")!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RuntimeSpecificOnAVersion3Config_ChecksEachHandlersRuntimePlatform()
    {
        var options = Options() with { RuntimeSpecific = true };
        var patch = ContainerdConfigPatcher.Apply(TestFiles.ReadTestData("containerd-2.1.9-default.toml"), options.ContainerdConfig,
            new ContainerdConfigRequest { SnapshotterAddress = options.SnapshotterAddress, RuntimeSpecific = true });
        await File.WriteAllTextAsync(options.ContainerdConfig, patch.Text);
        var installed = await GuestPullDoctor.RunAsync(options, CancellationToken.None);
        Assert.True(installed.Find("containerd.runtime-platforms")?.Status == DoctorStatus.Pass, installed.Find("containerd.runtime-platforms")?.ToString());

        // What install --runtime-specific wrote before issue 14: the runtime's snapshotter only.
        var platform = "[plugins.\"io.containerd.cri.v1.images\".runtime_platforms.guestpull]";
        Assert.Contains(platform, patch.Text, StringComparison.Ordinal);
        await File.WriteAllTextAsync(options.ContainerdConfig, patch.Text.Replace(platform, "[plugins.\"io.containerd.cri.v1.images\".runtime_platforms.other]", StringComparison.Ordinal));
        var broken = await GuestPullDoctor.RunAsync(options, CancellationToken.None);

        var finding = broken.Find("containerd.runtime-platforms");
        Assert.True(finding?.Status == DoctorStatus.Fail, finding?.ToString());
        Assert.Contains("runtime_platforms.guestpull", finding!.Message, StringComparison.Ordinal);
        Assert.Contains("--runtime-specific", finding.Fix, StringComparison.Ordinal);
        Assert.Equal(DoctorStatus.Pass, broken.Find("containerd.snapshotter")?.Status);
    }

    [Fact]
    public async Task SnapshotterSocketPassesWhileTheSnapshotterServesAndFailsAfter()
    {
        var options = await WriteInstalledConfigAsync();
        await using (await SnapshotterHost.StartAsync(
            new SnapshotterOptions { Root = options.SnapshotterRoot, Address = options.SnapshotterAddress, LogLevel = "error" }, CancellationToken.None))
        {
            var serving = await GuestPullDoctor.RunAsync(options, CancellationToken.None);
            Assert.Equal(DoctorStatus.Pass, serving.Find("snapshotter.socket")?.Status);
        }

        var stopped = await GuestPullDoctor.RunAsync(options, CancellationToken.None);

        Assert.Equal(DoctorStatus.Fail, stopped.Find("snapshotter.socket")?.Status);
    }

    [Fact]
    public async Task ShimCheckFindsTheShimOnContainerdsPathOnly()
    {
        var withShim = _directory.Combine("with-shim");
        Directory.CreateDirectory(withShim);
        await File.WriteAllTextAsync(Path.Combine(withShim, "containerd-shim-guestpull-v2"), "#!/bin/sh\n");
        var empty = _directory.Combine("empty");
        Directory.CreateDirectory(empty);

        var found = await GuestPullDoctor.RunAsync(Options() with { ShimSearchPath = withShim }, CancellationToken.None);
        var missing = await GuestPullDoctor.RunAsync(Options() with { ShimSearchPath = empty }, CancellationToken.None);

        Assert.Equal(DoctorStatus.Pass, found.Find("runtime.shim")?.Status);
        Assert.Equal(DoctorStatus.Fail, missing.Find("runtime.shim")?.Status);
    }

    [Fact]
    public async Task SandboxChecksReadTheShimConfigAndTheGuestImageBesideTheShimContainerdRuns()
    {
        // As install leaves it: the shim in the lib directory with the guest image, a link to it on containerd's PATH.
        var lib = _directory.CreateSubdirectory("lib");
        await File.WriteAllTextAsync(Path.Combine(lib, "containerd-shim-guestpull-v2"), "#!/bin/sh\n");
        await FakeGuestImage.WriteAsync(Path.Combine(lib, GuestImageLayout.DirectoryName));
        var bin = _directory.CreateSubdirectory("bin");
        File.CreateSymbolicLink(Path.Combine(bin, "containerd-shim-guestpull-v2"), Path.Combine(lib, "containerd-shim-guestpull-v2"));
        var shimConfig = _directory.Combine("shim.toml");
        var options = Options() with { ShimSearchPath = bin, ShimConfigPath = shimConfig };

        var vm = await GuestPullDoctor.RunAsync(options, CancellationToken.None);
        await File.WriteAllTextAsync(shimConfig, "sandbox = \"namespace\"\n");
        var namespaced = await GuestPullDoctor.RunAsync(options, CancellationToken.None);

        var image = vm.Find("vm.guest-image");
        Assert.True(image?.Status == DoctorStatus.Pass, image?.ToString());
        Assert.Contains(Path.Combine(lib, GuestImageLayout.DirectoryName), image!.Message, StringComparison.Ordinal);
        Assert.Equal(DoctorStatus.Warn, namespaced.Find("sandbox.kind")?.Status);
        Assert.Null(namespaced.Find("vm.guest-image"));
    }

    [Fact]
    public async Task OverlayCheckPassesOnATempDirectoryAndFailsOnAFilesystemThatCannotHostIt()
    {
        var good = await GuestPullDoctor.RunAsync(Options(), CancellationToken.None);
        var bad = await GuestPullDoctor.RunAsync(Options() with { SnapshotterRoot = "/proc/sys/guestpull-root" }, CancellationToken.None);

        Assert.Equal(DoctorStatus.Pass, good.Find("snapshotter.overlayfs")?.Status);
        Assert.Equal(DoctorStatus.Fail, bad.Find("snapshotter.overlayfs")?.Status);
        Assert.False(Directory.EnumerateDirectories(_directory.Path, ".guestpull-doctor-*", SearchOption.AllDirectories).Any());
    }

    [Fact]
    public void DirectoryTypeCheckWarnsOnXfsWhoseFtypeIsUnknown()
    {
        Assert.Equal(DoctorStatus.Warn, FileSystemChecks.DirectoryTypeFinding("xfs", "/var", "/var/lib/x").Status);
        Assert.Equal(DoctorStatus.Pass, FileSystemChecks.DirectoryTypeFinding("ext4", "/", "/var/lib/x").Status);
    }

    private InstallOptions Options() => new()
    {
        ContainerdConfig = _directory.Combine("config.toml"),
        ContainerdAddress = _directory.Combine("no-containerd.sock"),
        SnapshotterAddress = _directory.Combine("snapshotter.sock"),
        SnapshotterRoot = _directory.Combine("snapshotter-root"),
        StateDirectory = _directory.Combine("state"),
        ServiceMode = ServiceMode.Standalone,
    };

    private async Task<InstallOptions> WriteInstalledConfigAsync()
    {
        var options = Options();
        var patch = ContainerdConfigPatcher.Apply(await TestFiles.ContainerdDefaultConfigAsync(), options.ContainerdConfig,
            new ContainerdConfigRequest { SnapshotterAddress = options.SnapshotterAddress });
        await File.WriteAllTextAsync(options.ContainerdConfig, patch.Text);
        return options;
    }
}
