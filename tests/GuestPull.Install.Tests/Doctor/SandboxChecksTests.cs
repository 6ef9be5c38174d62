using GuestPull.Configuration.Sandbox;
using GuestPull.Install.Doctor;
using GuestPull.Install.Services;
using GuestPull.Install.Tests.Infrastructure;
using GuestPull.Linux.Virtualization;
using GuestPull.Testing;

namespace GuestPull.Install.Tests.Doctor;

/// <summary>
/// Doctor's sandbox findings against shim configs written by the test, a QEMU stand-in script and a
/// made-up guest image: they need neither QEMU, KVM nor root.
/// </summary>
public sealed class SandboxChecksTests : IDisposable
{
    private static readonly KvmAvailability NoKvm = new(false, "/dev/kvm is absent (test)");
    private static readonly KvmAvailability Kvm = new(true, "/dev/kvm is usable (test)");

    private readonly TempDirectory _directory = TempDirectory.Create("doctor-sandbox");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task WithoutAShimConfigTheDefaultsAreCheckedAVmWithQemuOnPathAndTheGuestImageBesideTheShim()
    {
        var findings = await RunAsync(config: null, NoKvm);

        Assert.Equal(DoctorStatus.Pass, Find(findings, "sandbox.config").Status);
        Assert.Contains("does not exist", Find(findings, "sandbox.config").Message, StringComparison.Ordinal);
        Assert.Equal(DoctorStatus.Pass, Find(findings, "sandbox.kind").Status);
        Assert.Contains("the default", Find(findings, "sandbox.kind").Message, StringComparison.Ordinal);
        var qemu = Find(findings, "vm.qemu");
        Assert.Equal(DoctorStatus.Pass, qemu.Status);
        Assert.Contains(FakeQemu.Version, qemu.Message, StringComparison.Ordinal);
        Assert.Contains(_directory.Combine("bin", "qemu-system-x86_64"), qemu.Message, StringComparison.Ordinal);
        Assert.Equal(DoctorStatus.Pass, Find(findings, "vm.machine").Status);
        var image = Find(findings, "vm.guest-image");
        Assert.Equal(DoctorStatus.Pass, image.Status);
        Assert.Contains($"{FakeGuestImage.KernelPackage} {FakeGuestImage.KernelVersion}", image.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NamespaceSandboxWarnsThatThePodIsNotProtectedAgainstTheHostAndSaysHowToSwitch()
    {
        var findings = await RunAsync("sandbox = \"namespace\"\n", NoKvm);

        var kind = Find(findings, "sandbox.kind");
        Assert.Equal(DoctorStatus.Warn, kind.Status);
        Assert.Contains("does not protect", kind.Message, StringComparison.Ordinal);
        Assert.Contains("host tmpfs", kind.Message, StringComparison.Ordinal);
        Assert.Contains("sandbox = \"vm\"", kind.Fix, StringComparison.Ordinal);
        // QEMU and the guest image are not needed, so not checked.
        Assert.DoesNotContain(findings, f => f.Check.StartsWith("vm.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task QemuPathThatDoesNotExistFails()
    {
        var findings = await RunAsync("[vm]\nqemu_path = \"/nonexistent/qemu-system-x86_64\"\n", NoKvm);

        var qemu = Find(findings, "vm.qemu");
        Assert.Equal(DoctorStatus.Fail, qemu.Status);
        Assert.Contains("/nonexistent/qemu-system-x86_64", qemu.Message, StringComparison.Ordinal);
        Assert.Contains("qemu_path", qemu.Fix, StringComparison.Ordinal);
        Assert.Null(findings.FirstOrDefault(f => f.Check == "vm.machine"));
    }

    [Fact]
    public async Task BareQemuNameNotOnContainerdsPathFails()
    {
        var findings = await RunAsync("[vm]\nqemu_path = \"qemu-system-guestpull-test\"\n", NoKvm);

        var qemu = Find(findings, "vm.qemu");
        Assert.Equal(DoctorStatus.Fail, qemu.Status);
        Assert.Contains("not on containerd's PATH", qemu.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task QemuThatCannotRunFails()
    {
        var notExecutable = _directory.Combine("qemu-not-executable");
        await File.WriteAllTextAsync(notExecutable, "#!/bin/sh\n");
        File.SetUnixFileMode(notExecutable, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var findings = await RunAsync($"[vm]\nqemu_path = \"{notExecutable}\"\n", NoKvm);

        Assert.Equal(DoctorStatus.Fail, Find(findings, "vm.qemu").Status);
    }

    [Fact]
    public async Task QemuWithoutTheMicrovmMachineFails()
    {
        var qemu = await FakeQemu.WriteAsync(_directory.Combine("old-qemu"), machines: ["pc", "q35"]);

        var findings = await RunAsync($"[vm]\nqemu_path = \"{qemu}\"\n", NoKvm);

        Assert.Equal(DoctorStatus.Pass, Find(findings, "vm.qemu").Status);
        var machine = Find(findings, "vm.machine");
        Assert.Equal(DoctorStatus.Fail, machine.Status);
        Assert.Contains("microvm", machine.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AutoAcceleratorPassesWithKvmAndWarnsOfSlowTcgWithoutIt()
    {
        var withKvm = await RunAsync("[vm]\naccel = \"auto\"\n", Kvm);
        var without = await RunAsync("[vm]\naccel = \"auto\"\n", NoKvm);

        Assert.Equal(DoctorStatus.Pass, Find(withKvm, "vm.accel").Status);
        Assert.StartsWith("KVM", Find(withKvm, "vm.accel").Message, StringComparison.Ordinal);
        var tcg = Find(without, "vm.accel");
        Assert.Equal(DoctorStatus.Warn, tcg.Status);
        Assert.Equal($"TCG (software emulation, slow): {NoKvm.Reason}", tcg.Message);
    }

    [Fact]
    public async Task KvmAcceleratorFailsExactlyWhenKvmProbeSaysKvmIsUnusableOnThisMachine()
    {
        await FakeQemu.WriteAsync(_directory.Combine("bin"));
        var probe = KvmProbe.Probe();

        var findings = await SandboxChecks.RunAsync(
            await WriteConfigAsync("[vm]\naccel = \"kvm\"\n"), SearchPath(), await ImageAsync(), KvmProbe.Probe, CancellationToken.None);

        var accel = Find(findings, "vm.accel");
        Assert.Equal(probe.Usable ? DoctorStatus.Pass : DoctorStatus.Fail, accel.Status);
        Assert.Contains(probe.Reason, accel.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TcgAcceleratorPassesWithoutKvmAndWarnsWhereKvmWouldWork()
    {
        Assert.Equal(DoctorStatus.Pass, Find(await RunAsync("[vm]\naccel = \"tcg\"\n", NoKvm), "vm.accel").Status);
        Assert.Equal(DoctorStatus.Warn, Find(await RunAsync("[vm]\naccel = \"tcg\"\n", Kvm), "vm.accel").Status);
    }

    [Fact]
    public async Task AcceleratorMissingFromTheQemuBuildFails()
    {
        var qemu = await FakeQemu.WriteAsync(_directory.Combine("kvm-only-qemu"), accelerators: ["kvm"]);

        var findings = await RunAsync($"[vm]\nqemu_path = \"{qemu}\"\n", NoKvm);

        var accel = Find(findings, "vm.accel");
        Assert.Equal(DoctorStatus.Fail, accel.Status);
        Assert.Contains("without the tcg accelerator", accel.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TruncatedKernelFailsNamingTheFileAndBothDigests()
    {
        var image = await ImageAsync();
        var manifestDigest = FakeGuestImage.Sha256(await File.ReadAllBytesAsync(image.Kernel));
        var (_, truncated) = await FakeGuestImage.TruncateAsync(image.Kernel);

        var findings = await SandboxChecks.RunAsync(await WriteConfigAsync(null), SearchPath(), image, () => NoKvm, CancellationToken.None);

        var finding = Find(findings, "vm.guest-image");
        Assert.Equal(DoctorStatus.Fail, finding.Status);
        Assert.Contains(image.Directory, finding.Message, StringComparison.Ordinal);
        Assert.Contains("vmlinux", finding.Message, StringComparison.Ordinal);
        Assert.Contains(truncated, finding.Message, StringComparison.Ordinal);
        Assert.Contains(manifestDigest, finding.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("initramfs", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingManifestOrGuestFilesFail()
    {
        var image = await ImageAsync();
        File.Delete(image.Manifest);
        var noManifest = await SandboxChecks.RunAsync(await WriteConfigAsync(null), SearchPath(), image, () => NoKvm, CancellationToken.None);
        File.Delete(image.Initramfs);
        var noInitrd = await SandboxChecks.RunAsync(await WriteConfigAsync(null), SearchPath(), image, () => NoKvm, CancellationToken.None);

        Assert.Equal(DoctorStatus.Fail, Find(noManifest, "vm.guest-image").Status);
        Assert.Contains("manifest.json is missing", Find(noManifest, "vm.guest-image").Message, StringComparison.Ordinal);
        Assert.Equal(DoctorStatus.Fail, Find(noInitrd, "vm.guest-image").Status);
        Assert.Contains($"initrd {image.Initramfs}", Find(noInitrd, "vm.guest-image").Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KernelAndInitrdNamedInTheConfigAreCheckedForExistenceOnly()
    {
        var kernel = _directory.Combine("my-vmlinux");
        var initrd = _directory.Combine("my-initrd");
        await File.WriteAllTextAsync(kernel, "k");
        await File.WriteAllTextAsync(initrd, "i");
        var empty = new GuestImageLayout(_directory.Combine("no-image"));

        var present = await SandboxChecks.RunAsync(
            await WriteConfigAsync($"[vm]\nkernel = \"{kernel}\"\ninitrd = \"{initrd}\"\n"), SearchPath(), empty, () => NoKvm, CancellationToken.None);
        var missing = await SandboxChecks.RunAsync(
            await WriteConfigAsync($"[vm]\nkernel = \"{kernel}.gone\"\ninitrd = \"{initrd}\"\n"), SearchPath(), empty, () => NoKvm, CancellationToken.None);

        Assert.Equal(DoctorStatus.Pass, Find(present, "vm.guest-image").Status);
        Assert.Equal(DoctorStatus.Fail, Find(missing, "vm.guest-image").Status);
        Assert.Contains($"{kernel}.gone", Find(missing, "vm.guest-image").Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnreadableConfigFailsAndUnknownVmKeysWarn()
    {
        var broken = await RunAsync("sandbox = \"container\"\n", NoKvm);
        var unknown = await RunAsync("[vm]\nmemory = 4096\n", NoKvm);

        Assert.Equal(DoctorStatus.Fail, Find(broken, "sandbox.config").Status);
        Assert.Contains("sandbox", Find(broken, "sandbox.config").Message, StringComparison.Ordinal);
        Assert.Single(broken);
        Assert.Equal(DoctorStatus.Warn, Find(unknown, "sandbox.config").Status);
        Assert.Contains("[vm] memory: unknown key", Find(unknown, "sandbox.config").Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheInstallersDefaultShimConfigSelectsAVmOnTheDefaults()
    {
        var options = new InstallOptions().WithPrefix(_directory.Combine("prefix"));
        var text = ShimConfigFile.Render(options);

        var findings = await RunAsync(text, NoKvm);

        Assert.Equal(DoctorStatus.Pass, Find(findings, "sandbox.config").Status);
        Assert.Equal(DoctorStatus.Pass, Find(findings, "sandbox.kind").Status);
        Assert.DoesNotContain("the default", Find(findings, "sandbox.kind").Message, StringComparison.Ordinal);
    }

    private static DoctorFinding Find(IReadOnlyList<DoctorFinding> findings, string check) =>
        findings.FirstOrDefault(f => f.Check == check) ?? throw new Xunit.Sdk.XunitException($"no {check} finding in: {string.Join("; ", findings)}");

    private async Task<IReadOnlyList<DoctorFinding>> RunAsync(string? config, KvmAvailability kvm)
    {
        await FakeQemu.WriteAsync(_directory.Combine("bin"));
        return await SandboxChecks.RunAsync(await WriteConfigAsync(config), SearchPath(), await ImageAsync(), () => kvm, CancellationToken.None);
    }

    private string[] SearchPath() => [_directory.Combine("empty-bin"), _directory.Combine("bin")];

    private async Task<GuestImageLayout> ImageAsync()
    {
        var directory = _directory.Combine("lib", GuestImageLayout.DirectoryName);
        return File.Exists(Path.Combine(directory, "manifest.json")) ? new GuestImageLayout(directory) : await FakeGuestImage.WriteAsync(directory);
    }

    // Null: no file, so the defaults apply.
    private async Task<string> WriteConfigAsync(string? text)
    {
        var path = _directory.Combine($"shim-{Guid.NewGuid():N}.toml");
        if (text is not null)
        {
            await File.WriteAllTextAsync(path, text);
        }
        return path;
    }
}
