using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using GuestPull.Api.Agent;
using GuestPull.Shim.Vm;
using GuestPull.Testing;
using GuestPull.Ttrpc;

namespace GuestPull.IntegrationTests.Vm;

/// <summary>
/// One guest VM under QEMU: the microvm machine with TCG (the software hypervisor on the test machines
/// runs no stock guest under KVM), its console in a log file and the agent's virtio-serial port on a
/// unix socket, all in a private temp directory. Disposing kills QEMU and removes the directory.
/// </summary>
internal sealed class QemuGuest : IAsyncDisposable
{
    private const string Qemu = "qemu-system-x86_64";

    private readonly TempDirectory _directory;
    private readonly BackgroundProcess _qemu;
    private readonly Stopwatch _sinceStart;

    private QemuGuest(TempDirectory directory, BackgroundProcess qemu, Stopwatch sinceStart)
    {
        _directory = directory;
        _qemu = qemu;
        _sinceStart = sinceStart;
    }

    /// <summary>The private directory: the agent's socket and the console log.</summary>
    public string Directory => _directory.Path;

    /// <summary>QEMU's process id.</summary>
    public int ProcessId => _qemu.Id;

    /// <summary>The unix socket QEMU's chardev serves for the guest's virtio-serial port <c>agent.0</c>.</summary>
    public string AgentSocket => _directory.Combine("agent.sock");

    /// <summary>The guest's serial console, as QEMU writes it.</summary>
    public string ConsoleLog => _directory.Combine("console.log");

    /// <summary>Time since QEMU was started.</summary>
    public TimeSpan Uptime => _sinceStart.Elapsed;

    /// <summary>Boots <paramref name="image"/> with 1 vCPU and <paramref name="memoryMiB"/> of memory.</summary>
    /// <param name="image">The kernel and initramfs.</param>
    /// <param name="memoryMiB">The guest's memory.</param>
    /// <param name="kernelArguments">Appended to the kernel command line (the guest's /init reads <c>guestpull.*</c>).</param>
    public static QemuGuest Start(GuestImage image, int memoryMiB = 512, string? kernelArguments = null)
    {
        var directory = TempDirectory.Create("vm");
        try
        {
            var socket = directory.Combine("agent.sock");
            var console = directory.Combine("console.log");
            string[] arguments =
            [
                // microvm: virtio-mmio only, no PCI, no firmware (QEMU loads the ELF vmlinux through PVH). The
                // RTC stays: without it the kernel's two RTC probes time out, 2 s of a 5.5 s boot under TCG.
                "-M", "microvm,x-option-roms=off,pit=off,pic=off",
                "-accel", "tcg", "-cpu", "max", "-smp", "1", "-m", memoryMiB.ToString(CultureInfo.InvariantCulture),
                "-nodefaults", "-no-user-config", "-display", "none", "-monitor", "none", "-no-reboot",
                "-kernel", image.Kernel, "-initrd", image.Initramfs,
                "-append", kernelArguments is null ? KernelCommandLine() : $"{KernelCommandLine()} {kernelArguments}",
                "-serial", $"file:{console}",
                // Without an entropy device the guest's first getrandom waits for the crng to be seeded.
                "-device", "virtio-rng-device",
                "-netdev", "user,id=net0", "-device", "virtio-net-device,netdev=net0",
                "-device", "virtio-serial-device",
                "-chardev", $"socket,id=agent,path={socket},server=on,wait=off",
                "-device", "virtserialport,chardev=agent,name=agent.0",
            ];
            var sinceStart = Stopwatch.StartNew();
            var qemu = ProcessRunner.StartBackground(Qemu, arguments);
            return new QemuGuest(directory, qemu, sinceStart);
        }
        catch
        {
            directory.Dispose();
            throw;
        }
    }

    /// <summary>Connects to the agent the way the shim does (<see cref="SerialAgentConnector"/>) and returns once a Check has been answered.</summary>
    public Task<AgentClient> ConnectAgentAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
        SerialAgentConnector.ConnectAsync(AgentSocket, () => _qemu.HasExited ? _qemu.ExitCode : null, () => $"{_qemu.DescribeOutput()}\n{ConsoleTail()}", timeout, cancellationToken);

    /// <summary>The console log's last lines, for failure messages.</summary>
    public string ConsoleTail(int lines = 40)
    {
        try
        {
            using var stream = new FileStream(ConsoleLog, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            var all = reader.ReadToEnd().Split('\n');
            return string.Join('\n', all.TakeLast(lines));
        }
        catch (IOException ex)
        {
            return $"(no console log: {ex.Message})";
        }
    }

    /// <summary>Kills QEMU (the guest has nothing to flush: its disks are in memory) and removes the directory.</summary>
    public async ValueTask DisposeAsync()
    {
        await _qemu.DisposeAsync().ConfigureAwait(false);
        _directory.Dispose();
    }

    private static string KernelCommandLine()
    {
        // Under TCG the guest cannot calibrate its TSC against a PIT (there is none on microvm) without
        // stalling: tell it the host's frequency and that the counter is reliable.
        var tscKhz = HostTscKhz();
        var tsc = tscKhz is { } khz ? $" tsc_early_khz={khz.ToString(CultureInfo.InvariantCulture)} tsc=reliable" : string.Empty;
        return $"console=ttyS0 quiet panic=-1 random.trust_cpu=on{tsc}";
    }

    private static long? HostTscKhz()
    {
        foreach (var line in File.ReadLines("/proc/cpuinfo"))
        {
            if (line.StartsWith("cpu MHz", StringComparison.Ordinal)
                && double.TryParse(line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var mhz))
            {
                return (long)Math.Round(mhz * 1000);
            }
        }

        return null;
    }
}
