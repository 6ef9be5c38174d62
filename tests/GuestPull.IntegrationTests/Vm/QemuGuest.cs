using System.Diagnostics;
using GuestPull.Api.Agent;
using GuestPull.Configuration.Sandbox;
using GuestPull.Shim.Vm;
using GuestPull.Testing;

namespace GuestPull.IntegrationTests.Vm;

/// <summary>
/// One guest VM under QEMU: the microvm machine with TCG (the software hypervisor on the test machines
/// runs no stock guest under KVM), its console on QEMU's stdout and the agent's virtio-serial port on a
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

    /// <summary>The private directory: the agent's socket.</summary>
    public string Directory => _directory.Path;

    /// <summary>QEMU's process id.</summary>
    public int ProcessId => _qemu.Id;

    /// <summary>The unix socket QEMU's chardev serves for the guest's virtio-serial port <c>agent.0</c>.</summary>
    public string AgentSocket => _directory.Combine("agent.sock");

    /// <summary>Time since QEMU was started.</summary>
    public TimeSpan Uptime => _sinceStart.Elapsed;

    /// <summary>
    /// Boots <paramref name="image"/> with 1 vCPU and <paramref name="memoryMiB"/> of memory, on the command
    /// line the shim builds for a pod VM (<see cref="QemuCommandLine"/>), with TCG: the console is QEMU's stdout.
    /// </summary>
    /// <param name="image">The kernel and initramfs.</param>
    /// <param name="memoryMiB">The guest's memory.</param>
    /// <param name="kernelArguments">Appended to the kernel command line (the guest's /init reads <c>guestpull.*</c>).</param>
    public static QemuGuest Start(GuestImage image, int memoryMiB = 512, string? kernelArguments = null)
    {
        var directory = TempDirectory.Create("vm");
        try
        {
            var settings = new VmSettings { QemuPath = Qemu, Kernel = image.Kernel, Initrd = image.Initramfs, KernelParams = kernelArguments ?? string.Empty };
            var launch = new VmLaunch(settings, VmAccelerator.Tcg, Vcpus: 1, memoryMiB, image.Initramfs, directory.Combine("agent.sock"), NetworkNamespace: null, Name: "guestpull-test");
            var command = QemuCommandLine.Build(launch);
            var sinceStart = Stopwatch.StartNew();
            var qemu = ProcessRunner.StartBackground(command[0], command.Skip(1));
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
        SerialAgentConnector.ConnectAsync(AgentSocket, () => _qemu.HasExited ? _qemu.ExitCode : null, () => _qemu.DescribeOutput(40), timeout, cancellationToken);

    /// <summary>The console's last lines, for failure messages.</summary>
    public string ConsoleTail(int lines = 40) => string.Join('\n', _qemu.StandardOutputLines.TakeLast(lines));

    /// <summary>Kills QEMU (the guest has nothing to flush: its disks are in memory) and removes the directory.</summary>
    public async ValueTask DisposeAsync()
    {
        await _qemu.DisposeAsync().ConfigureAwait(false);
        _directory.Dispose();
    }
}
