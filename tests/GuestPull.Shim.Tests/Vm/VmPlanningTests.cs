using GuestPull.Configuration.Sandbox;
using GuestPull.Linux.Virtualization;
using GuestPull.Shim.Configuration;
using GuestPull.Shim.Vm;

namespace GuestPull.Shim.Tests.Vm;

public sealed class VmPlanningTests
{
    [Fact]
    public void TheShimConfigChoosesTheSandboxAndTheVm()
    {
        var config = ShimConfigParser.Parse("""
            sandbox = "vm"
            [vm]
            qemu_path = "/opt/qemu/bin/qemu-system-x86_64"
            kernel = "/k/vmlinux"
            initrd = "/k/initrd"
            accel = "tcg"
            vcpus = 2
            memory_mib = 512
            kernel_params = "loglevel=7"
            colour = 1
            """, "f.toml");

        Assert.Equal(SandboxKind.Vm, config.Sandbox);
        Assert.Equal("/opt/qemu/bin/qemu-system-x86_64", config.Vm.QemuPath);
        Assert.Equal("/k/vmlinux", config.Vm.KernelPath);
        Assert.Equal("/k/initrd", config.Vm.InitrdPath);
        Assert.Equal(VmAccelerator.Tcg, config.Vm.Accelerator);
        Assert.Equal(2, config.Vm.Vcpus);
        Assert.Equal(512, config.Vm.MemoryMiB);
        Assert.Equal(["f.toml: [vm] colour: unknown key, ignored"], config.Warnings);
    }

    [Fact]
    public void TheDefaultsAreAVmWithKatasSizes()
    {
        var config = ShimConfigParser.Parse(string.Empty, "f.toml");

        Assert.Equal(SandboxKind.Vm, config.Sandbox);
        Assert.Equal(1, config.Vm.Vcpus);
        Assert.Equal(2048, config.Vm.MemoryMiB);
        Assert.Equal(VmAccelerator.Auto, config.Vm.Accelerator);
        Assert.Equal(Path.Combine(AppContext.BaseDirectory, "guest", "vmlinux"), config.Vm.KernelPath);
    }

    [Theory]
    [InlineData("sandbox = \"vms\"", "f.toml: sandbox: expected \"vm\" or \"namespace\"")]
    [InlineData("[vm]\naccel = \"hvf\"", "f.toml: [vm] accel: expected ")]
    [InlineData("[vm]\nvcpus = 0", "f.toml: [vm] vcpus: expected an integer between 1 and 255, got 0")]
    [InlineData("[vm]\nkernel = \"vmlinux\"", "f.toml: [vm] kernel: expected an absolute path")]
    public void BadSandboxSettingsAreNamed(string toml, string expected)
    {
        var ex = Assert.Throws<ShimException>(() => ShimConfigParser.Parse(toml, "f.toml"));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AutoUsesKvmOnlyWhereItCanRunAGuest()
    {
        Assert.Equal(VmAccelerator.Kvm, AcceleratorSelector.Resolve(VmAccelerator.Auto, () => new KvmAvailability(true, "ok")).Accelerator);
        var fallback = AcceleratorSelector.Resolve(VmAccelerator.Auto, () => new KvmAvailability(false, "kvm_pvm"));
        Assert.Equal((VmAccelerator.Tcg, "kvm_pvm"), fallback);
        Assert.Equal(VmAccelerator.Tcg, AcceleratorSelector.Resolve(VmAccelerator.Tcg, () => throw new InvalidOperationException("not probed")).Accelerator);
        var ex = Assert.Throws<ShimException>(() => AcceleratorSelector.Resolve(VmAccelerator.Kvm, () => new KvmAvailability(false, "/dev/kvm is absent")));
        Assert.Contains("/dev/kvm is absent", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ThePodsLimitsAreAddedToTheVm()
    {
        var annotations = new Dictionary<string, string>
        {
            [PodResources.CpuQuota] = "150000",
            [PodResources.CpuPeriod] = "100000",
            [PodResources.Memory] = "268435457",
        };

        Assert.Equal(2, PodResources.ExtraVcpus(annotations));
        Assert.Equal(257, PodResources.ExtraMemoryMiB(annotations));
        Assert.Equal(0, PodResources.ExtraVcpus(new Dictionary<string, string> { [PodResources.CpuQuota] = "-1", [PodResources.CpuPeriod] = "100000" }));
        Assert.Equal(0, PodResources.ExtraMemoryMiB(new Dictionary<string, string>()));
    }

    [Fact]
    public void QemuRunsInThePodsNetworkNamespaceWithTheAgentsPortAndConsole()
    {
        var launch = new VmLaunch(new VmSettings { Kernel = "/k/vmlinux", KernelParams = "loglevel=7" }, VmAccelerator.Kvm, 3, 2304, "/state/initrd.img", "/state/agent.sock", "/var/run/netns/cni-1", "guestpull-abc");

        var argv = QemuCommandLine.Build(launch);

        Assert.Equal(["nsenter", "--net=/var/run/netns/cni-1", "--", "qemu-system-x86_64"], argv.Take(4));
        Assert.Equal("kvm", After(argv, "-accel"));
        Assert.Equal("host", After(argv, "-cpu"));
        Assert.Equal("3", After(argv, "-smp"));
        Assert.Equal("2304", After(argv, "-m"));
        Assert.Equal("/k/vmlinux", After(argv, "-kernel"));
        Assert.Equal("/state/initrd.img", After(argv, "-initrd"));
        Assert.Contains("socket,id=agent,path=/state/agent.sock,server=on,wait=off", argv);
        Assert.Contains("virtserialport,chardev=agent,name=agent.0", argv);
        Assert.EndsWith("panic=-1 random.trust_cpu=on loglevel=7", After(argv, "-append"), StringComparison.Ordinal);
        Assert.DoesNotContain("tsc=reliable", After(argv, "-append"), StringComparison.Ordinal);

        var tcg = QemuCommandLine.Build(launch with { Accelerator = VmAccelerator.Tcg, NetworkNamespace = null });
        Assert.Equal("qemu-system-x86_64", tcg[0]);
        Assert.Equal("tcg", After(tcg, "-accel"));
        Assert.Equal("max", After(tcg, "-cpu"));
    }

    [Theory]
    [InlineData("/run/containerd/io.containerd.grpc.v1.cri/sandboxes/pod1/resolv.conf", false, "CopiedFile")]
    [InlineData("/run/containerd/io.containerd.grpc.v1.cri/sandboxes/pod1/shm", true, "GuestMemory")]
    [InlineData("/run/containerd/io.containerd.grpc.v1.cri/sandboxes/pod2/hosts", false, "Refused")]
    [InlineData("/var/lib/kubelet/pods/0b1f6c7e-9a40-4c1e-8d44-3a3d0f9b2c11/etc-hosts", false, "CopiedFile")]
    [InlineData("/var/lib/kubelet/pods/0b1f6c7e-9a40-4c1e-8d44-3a3d0f9b2c11/containers/app/5d2c1a9e", false, "CopiedFile")]
    [InlineData("/var/lib/kubelet/pods/0b1f6c7e-9a40-4c1e-8d44-3a3d0f9b2c11/volumes/kubernetes.io~empty-dir/cache", true, "GuestMemory")]
    [InlineData("/var/lib/kubelet/pods/0b1f6c7e-9a40-4c1e-8d44-3a3d0f9b2c11/volumes/kubernetes.io~configmap/config", true, "CopiedDirectory")]
    [InlineData("/var/lib/kubelet/pods/0b1f6c7e-9a40-4c1e-8d44-3a3d0f9b2c11/volumes/kubernetes.io~secret/token", true, "CopiedDirectory")]
    [InlineData("/var/lib/kubelet/pods/0b1f6c7e-9a40-4c1e-8d44-3a3d0f9b2c11/volumes/kubernetes.io~csi/pv", true, "Refused")]
    [InlineData("/var/log", true, "Refused")]
    [InlineData("/etc/passwd", false, "Refused")]
    public void HostSourcesAreSortedByWhoMadeThem(string source, bool isDirectory, string expected)
    {
        Assert.Equal(Enum.Parse<HostVolumeKind>(expected), HostVolumeClassifier.Classify(source, "pod1", isDirectory));
    }

    private static string After(IReadOnlyList<string> argv, string flag) => argv[argv.ToList().IndexOf(flag) + 1];
}
