using GuestPull.Testing;
using GuestPull.Testing.Traits;

namespace GuestPull.Install.Tests.Config;

/// <summary><c>guestpull install --config-only --runtime-specific</c> through the installer's front door, on the releases' default configs.</summary>
[Trait(Requires.Trait, Requires.Components)]
public sealed class InstallerRuntimeSpecificTests : IDisposable
{
    private readonly TempDirectory _directory = TempDirectory.Create("install-runtime-specific");

    public void Dispose() => _directory.Dispose();

    /// <summary>
    /// A version 3 file is for containerd 2.x whatever containerd is on PATH (this machine's is 1.6, which
    /// would refuse --runtime-specific): the file's own schema decides, and uninstall gives it back byte for byte.
    /// </summary>
    [Fact]
    public async Task Version3File_IsTrustedOverTheContainerdOnPath_AndUninstallRestoresIt()
    {
        var options = Options();
        var original = TestFiles.ReadTestData("containerd-2.1.9-default.toml");
        await File.WriteAllTextAsync(options.ContainerdConfig, original);

        var report = await GuestPullInstaller.InstallAsync(options, CancellationToken.None);

        Assert.Contains("runtime_platforms", report.ConfigAfter, StringComparison.Ordinal);
        Assert.Contains("snapshotter = \"guestpull\"", report.ConfigAfter, StringComparison.Ordinal);
        await GuestPullInstaller.UninstallAsync(options, keepState: false, CancellationToken.None);
        Assert.Equal(original, await File.ReadAllTextAsync(options.ContainerdConfig));
    }

    /// <summary>A version 2 file with containerd 1.6 on PATH (and no containerd at the address): refused before anything changes.</summary>
    [Fact]
    public async Task Version2File_WithContainerd16_IsRefused()
    {
        var options = Options();
        var original = TestFiles.ReadTestData("containerd-1.7.24-default.toml");
        await File.WriteAllTextAsync(options.ContainerdConfig, original);

        var error = await Assert.ThrowsAsync<InstallException>(() => GuestPullInstaller.InstallAsync(options, CancellationToken.None));

        Assert.Contains("containerd 1.7 or later", error.Message, StringComparison.Ordinal);
        Assert.Equal(original, await File.ReadAllTextAsync(options.ContainerdConfig));
    }

    private InstallOptions Options() => new InstallOptions
    {
        ContainerdConfig = _directory.Combine("config.toml"),
        ContainerdAddress = _directory.Combine("no-containerd.sock"),
        ConfigOnly = true,
        RuntimeSpecific = true,
    }.WithPrefix(_directory.Combine("prefix"));
}
