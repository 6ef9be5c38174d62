using GuestPull.Configuration;
using GuestPull.Configuration.Sandbox;
using GuestPull.Install.Services;
using GuestPull.Install.State;
using GuestPull.Testing;

namespace GuestPull.Install.Tests.Services;

/// <summary>The commented default shim.toml: written only where there is none, removed only while it is install's own.</summary>
public sealed class ShimConfigFileTests : IDisposable
{
    private readonly TempDirectory _directory = TempDirectory.Create("install-shim-config");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void TheDefaultFileStatesAVmSandboxAndDocumentsEveryVmKeyWithoutChangingADefault()
    {
        var text = ShimConfigFile.Render(Options());
        var file = TomlConfigReader.Parse(text, "shim.toml", rejectRedefinitions: true);
        var warnings = new List<string>();

        Assert.Equal(SandboxKind.Vm, ShimSandboxSection.ReadKind(file));
        Assert.Contains("sandbox = \"vm\"\n", text, StringComparison.Ordinal);
        Assert.Equal(new VmSettings(), ShimSandboxSection.ReadVm(file, warnings));
        Assert.Empty(warnings);
        Assert.Empty(file.GetTable("vm").Keys);
        foreach (var key in new[] { "qemu_path", "kernel", "initrd", "accel", "vcpus", "memory_mib", "kernel_params" })
        {
            Assert.Contains($"\n# {key} = ", text, StringComparison.Ordinal);
        }
        // Uncommenting the documented values gives the defaults back.
        var uncommented = string.Join('\n', text.Split('\n').Select(line => line.StartsWith("# ", StringComparison.Ordinal) && line.Contains(" = ", StringComparison.Ordinal) ? line[2..] : line));
        var explicitDefaults = ShimSandboxSection.ReadVm(TomlConfigReader.Parse(uncommented, "shim.toml"), warnings);
        Assert.Empty(warnings);
        Assert.Equal(new VmSettings().QemuPath, explicitDefaults.QemuPath);
        Assert.Equal(Path.Combine(Options().LibDirectory, "guest", "vmlinux"), explicitDefaults.Kernel);
        Assert.Equal(new VmSettings() with { Kernel = explicitDefaults.Kernel, Initrd = explicitDefaults.Initrd }, explicitDefaults);
    }

    [Fact]
    public void TheDefaultLocationIsTheFileTheShimReads()
    {
        Assert.Equal(GuestPullDefaults.ShimConfigFile, new InstallOptions().ShimConfigFile);
        Assert.Equal(_directory.Combine("p", "etc", "guestpull", "shim.toml"), new InstallOptions().WithPrefix(_directory.Combine("p")).ShimConfigFile);
        Assert.Equal("/x/shim.toml", (new InstallOptions() with { ShimConfigPath = "/x/shim.toml" }).ShimConfigFile);
    }

    [Fact]
    public void WrittenWhenMissingRecordedOnceAndRemovedWithTheDirectoryItCreated()
    {
        var options = Options();
        var state = new InstallState();
        var report = new InstallReport();

        var step = ShimConfigFile.Install(options, state, report);

        Assert.NotNull(step);
        Assert.True(File.Exists(options.ShimConfigFile));
        Assert.True(step.CreatedFile);
        Assert.Equal([options.ConfigDirectory], step.CreatedPaths);
        Assert.Contains(report.Steps, s => s.Contains(options.ShimConfigFile, StringComparison.Ordinal));
        state.Steps.Add(step);

        var again = new InstallReport();
        Assert.Null(ShimConfigFile.Install(options, state, again));
        Assert.Empty(again.Steps);

        var uninstall = new InstallReport();
        ShimConfigFile.Undo(step, uninstall);
        Assert.False(File.Exists(options.ShimConfigFile));
        Assert.False(Directory.Exists(options.ConfigDirectory));
        Assert.Empty(uninstall.Warnings);
    }

    [Fact]
    public async Task AnExistingFileIsNeverReplacedAndAnEditedOneSurvivesUninstall()
    {
        var options = Options();
        Directory.CreateDirectory(options.ConfigDirectory);
        await File.WriteAllTextAsync(options.ShimConfigFile, "sandbox = \"namespace\"\n");
        var report = new InstallReport();

        Assert.Null(ShimConfigFile.Install(options, new InstallState(), report));
        Assert.Equal("sandbox = \"namespace\"\n", await File.ReadAllTextAsync(options.ShimConfigFile));
        Assert.Contains(report.Steps, s => s.StartsWith("left the existing shim config", StringComparison.Ordinal));

        File.Delete(options.ShimConfigFile);
        var step = ShimConfigFile.Install(options, new InstallState(), new InstallReport())!;
        Assert.Empty(step.CreatedPaths);
        await File.WriteAllTextAsync(options.ShimConfigFile, (await File.ReadAllTextAsync(options.ShimConfigFile)).Replace("# accel = \"auto\"", "accel = \"tcg\"", StringComparison.Ordinal));
        var uninstall = new InstallReport();
        ShimConfigFile.Undo(step, uninstall);

        Assert.True(File.Exists(options.ShimConfigFile));
        Assert.Contains(uninstall.Warnings, w => w.Contains("changed since", StringComparison.Ordinal));
    }

    private InstallOptions Options() => new InstallOptions().WithPrefix(_directory.Combine("prefix"));
}
