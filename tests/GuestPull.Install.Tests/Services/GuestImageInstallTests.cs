using GuestPull.Configuration.Sandbox;
using GuestPull.Install.Services;
using GuestPull.Install.Tests.Infrastructure;
using GuestPull.Testing;

namespace GuestPull.Install.Tests.Services;

/// <summary>
/// The guest image travels with the binaries: copied into the lib directory, checked against its
/// manifest before the old copy is replaced, and a missing image is no reason to fail.
/// </summary>
public sealed class GuestImageInstallTests : IDisposable
{
    private readonly TempDirectory _directory = TempDirectory.Create("install-guest-image");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task TheGuestDirectoryIsCopiedWithTheBinariesAndVerified()
    {
        var source = await SourceAsync("build", withImage: true);
        var options = Options(source);

        var (step, guestImage) = await BinaryInstaller.InstallAsync(options, CancellationToken.None);
        BinaryInstaller.Commit(step);

        var installed = new GuestImageLayout(Path.Combine(options.LibDirectory, GuestImageLayout.DirectoryName));
        var built = new GuestImageLayout(Path.Combine(source, GuestImageLayout.DirectoryName));
        Assert.Equal(await File.ReadAllBytesAsync(built.Kernel), await File.ReadAllBytesAsync(installed.Kernel));
        Assert.Equal(await File.ReadAllBytesAsync(built.Initramfs), await File.ReadAllBytesAsync(installed.Initramfs));
        Assert.Equal(await File.ReadAllBytesAsync(built.Manifest), await File.ReadAllBytesAsync(installed.Manifest));
        Assert.NotNull(guestImage);
        Assert.True(guestImage.Intact);
        Assert.Equal($"{FakeGuestImage.KernelPackage} {FakeGuestImage.KernelVersion}", guestImage.Manifest!.KernelDescription);
    }

    [Fact]
    public async Task ABuildWithoutAGuestImageStillInstalls()
    {
        var options = Options(await SourceAsync("build", withImage: false));

        var (step, guestImage) = await BinaryInstaller.InstallAsync(options, CancellationToken.None);

        Assert.Null(guestImage);
        Assert.True(File.Exists(Path.Combine(options.LibDirectory, "guestpull.dll")));
        Assert.Equal(options.LibDirectory, step.Path);
    }

    [Fact]
    public async Task ADamagedImageFailsTheUpgradeNamingTheFileAndBothDigestsAndKeepsThePreviousInstall()
    {
        var good = await SourceAsync("good", withImage: true);
        var (first, _) = await BinaryInstaller.InstallAsync(Options(good), CancellationToken.None);
        BinaryInstaller.Commit(first);
        var bad = await SourceAsync("bad", withImage: true, seed: "b");
        var (recorded, truncated) = await FakeGuestImage.TruncateAsync(Path.Combine(bad, GuestImageLayout.DirectoryName, "initramfs.cpio.gz"));
        var options = await WithContainerdConfigAsync(Options(bad));

        var error = await Assert.ThrowsAsync<InstallException>(() => GuestPullInstaller.InstallAsync(options, CancellationToken.None));

        Assert.Contains("initramfs.cpio.gz", error.Message, StringComparison.Ordinal);
        Assert.Contains(recorded, error.Message, StringComparison.Ordinal);
        Assert.Contains(truncated, error.Message, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(bad, GuestImageLayout.DirectoryName), error.Message, StringComparison.Ordinal);
        // The previous install is what it was; nothing of the attempt is left.
        var installed = Path.Combine(options.LibDirectory, GuestImageLayout.DirectoryName);
        Assert.Equal(
            await File.ReadAllBytesAsync(Path.Combine(good, GuestImageLayout.DirectoryName, "initramfs.cpio.gz")),
            await File.ReadAllBytesAsync(Path.Combine(installed, "initramfs.cpio.gz")));
        Assert.False(Directory.Exists(options.LibDirectory + ".new-guestpull"));
        Assert.False(Directory.Exists(options.LibDirectory + ".old-guestpull"));
        Assert.False(File.Exists(options.StateFile));
        Assert.False(File.Exists(options.SnapshotterConfigFile));
    }

    [Fact]
    public async Task ADamagedImageInTheBuildFailsAnInstallWithSkipBinariesBeforeAnythingChanges()
    {
        var build = await SourceAsync("build", withImage: true);
        await File.WriteAllTextAsync(Path.Combine(build, GuestImageLayout.DirectoryName, "vmlinux"), "not the kernel the manifest records");
        var options = await WithContainerdConfigAsync(Options(build) with { SkipBinaries = true });

        var error = await Assert.ThrowsAsync<InstallException>(() => GuestPullInstaller.InstallAsync(options, CancellationToken.None));

        Assert.Contains("vmlinux has sha256", error.Message, StringComparison.Ordinal);
        Assert.Contains("nothing had changed", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.GetDirectoryName(options.StateFile)));
    }

    private InstallOptions Options(string source) => new InstallOptions { SourceDirectory = source }.WithPrefix(_directory.Combine("prefix"));

    private async Task<InstallOptions> WithContainerdConfigAsync(InstallOptions options)
    {
        var config = _directory.Combine("containerd.toml");
        await File.WriteAllTextAsync(config, TestFiles.ReadTestData("containerd-minimal.toml"));
        return options with { ContainerdConfig = config, ServiceMode = ServiceMode.Standalone };
    }

    // An application directory as ./build.sh leaves it: what install needs to recognise it, and the guest image.
    private async Task<string> SourceAsync(string name, bool withImage, string seed = "a")
    {
        var source = _directory.CreateSubdirectory(name);
        await File.WriteAllTextAsync(Path.Combine(source, "guestpull.dll"), name);
        if (withImage)
        {
            await FakeGuestImage.WriteAsync(Path.Combine(source, GuestImageLayout.DirectoryName), seed);
        }
        return source;
    }
}
