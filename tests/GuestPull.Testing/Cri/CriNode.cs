using System.Globalization;
using Grpc.Net.Client;
using GuestPull.Api.Grpc;
using GuestPull.Api.Cri.V1;
using GuestPull.Testing.Containerd;

namespace GuestPull.Testing.Cri;

/// <summary>
/// One Kubernetes node in a temp directory, made of the real parts: docker-registry holding a busybox
/// and a pause image, <c>guestpull snapshotter</c> (proxy driver) as containerd's global snapshotter
/// (or as <c>guestpull install</c> configures it: <see cref="CriNodeOptions.InstallArguments"/>),
/// containerd (1.6, or the release in <see cref="CriNodeOptions.Release"/>) with CRI and the runtime handler <c>guestpull</c> (runtime type
/// <c>io.containerd.guestpull.v2</c>, whose shim binary is found on containerd's PATH), and a CRI
/// client on containerd's socket. Disposing stops everything it started.
/// </summary>
public sealed class CriNode : IAsyncDisposable
{
    public const string Handler = "guestpull";

    private readonly List<IAsyncDisposable> _owned = [];

    /// <summary>The environment variable the shim reads its config file's path from.</summary>
    public const string ShimConfigVariable = "GUESTPULL_SHIM_CONFIG";

    private readonly CriNodeOptions _options;

    private CriNode(TempDirectory work, CriNodeOptions options)
    {
        Work = work;
        _options = options;
    }

    public TempDirectory Work { get; }

    public RegistryInstance Registry { get; private set; } = null!;

    public ContainerdInstance Containerd { get; private set; } = null!;

    public BackgroundProcess Snapshotter { get; private set; } = null!;

    public string SnapshotterRoot => Work.Combine("snapshotter");

    /// <summary>The host directory the shim shares with sandboxes (what <c>guestpull verify --shared-root</c> reads).</summary>
    public string SharedRoot => Work.Combine("shared");

    /// <summary>
    /// The shim's own state (sockets, logs). Under /run with a short name: the agent's socket path
    /// (state root, namespace, 64-hex sandbox id, agent.sock) must fit a unix socket's 107 bytes.
    /// </summary>
    public string ShimStateRoot { get; } = Path.Combine("/run", "gpt-" + Guid.NewGuid().ToString("N")[..10]);

    /// <summary>The shims' ttrpc sockets (containerd's runc shims use /run/containerd/s); short, for the same reason as <see cref="ShimStateRoot"/>.</summary>
    public string ShimSocketDirectory => ShimStateRoot + "-s";

    public string LogRoot => Work.Combine("pod-logs");

    public string BusyboxImage => $"{Registry.Host}/busybox:1";

    public string PauseImage => $"{Registry.Host}/pause:3.9";

    public RuntimeService.RuntimeServiceClient Runtime { get; private set; } = null!;

    public ImageService.ImageServiceClient Images { get; private set; } = null!;

    private GrpcChannel Channel { get; set; } = null!;

    /// <summary>The command line prefix that runs guestpull (e.g. <c>dotnet …/guestpull.dll</c>).</summary>
    public IReadOnlyList<string> GuestPullCommand => _options.GuestPullCommand;

    public static async Task<CriNode> StartAsync(BusyboxImageFixture busybox, CriNodeOptions options, CancellationToken cancellationToken)
    {
        var node = new CriNode(TempDirectory.Create("cri-node"), options);
        try
        {
            await node.InitializeAsync(busybox, cancellationToken).ConfigureAwait(false);
            return node;
        }
        catch
        {
            await node.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task InitializeAsync(BusyboxImageFixture busybox, CancellationToken cancellationToken)
    {
        Registry = await RegistryInstance.StartAsync(cancellationToken).ConfigureAwait(false);
        _owned.Add(Registry);
        await ImageBuilder.PushAsync(busybox.LayoutDirectory, BusyboxImageFixture.Tag, Registry, "busybox:1", cancellationToken: cancellationToken).ConfigureAwait(false);
        var pauseLayout = busybox.CopyLayoutTo(Work.Combine("pause-layout"));
        await ImageBuilder.ConfigAsync(pauseLayout, BusyboxImageFixture.Tag, new ImageConfigOptions { Cmd = ["sleep", "infinity"] }, cancellationToken).ConfigureAwait(false);
        await ImageBuilder.PushAsync(pauseLayout, BusyboxImageFixture.Tag, Registry, "pause:3.9", cancellationToken: cancellationToken).ConfigureAwait(false);

        var snapshotterSocket = Work.Combine("snapshotter.sock");
        // With a runtime-specific snapshotter only guest-pull pods use it, as guestpull install then configures it.
        var snapshotterConfig = Work.Combine("snapshotter.toml");
        var runtimeSpecific = _options.InstallArguments?.Contains("--runtime-specific") == true;
        await File.WriteAllTextAsync(snapshotterConfig, $"[snapshot]\ndiscard_host_layers = {(runtimeSpecific ? "true" : "false")}\n", cancellationToken).ConfigureAwait(false);
        Snapshotter = ProcessRunner.StartBackground(
            GuestPullCommand[0],
            [.. GuestPullCommand.Skip(1), "snapshotter", "--config", snapshotterConfig, "--root", SnapshotterRoot, "--address", snapshotterSocket, "--fs-driver", "proxy", "--log-level", "info"]);
        _owned.Add(Snapshotter);
        await WaitForSocketAsync(snapshotterSocket, Snapshotter, cancellationToken).ConfigureAwait(false);

        var binDirectory = Directory.CreateDirectory(Work.Combine("bin")).FullName;
        WriteShimLauncher(binDirectory);
        var shimConfig = Work.Combine("shim.toml");
        await File.WriteAllTextAsync(shimConfig, ShimConfig(), cancellationToken).ConfigureAwait(false);
        Directory.CreateDirectory(LogRoot);

        Containerd = await ContainerdInstance.StartAsync(
            new ContainerdOptions
            {
                Release = _options.Release,
                EnableCri = true,
                SandboxImage = PauseImage,
                PlainHttpRegistries = [Registry.Host],
                Environment = new Dictionary<string, string?>
                {
                    ["PATH"] = binDirectory + ":" + Environment.GetEnvironmentVariable("PATH"),
                    [ShimConfigVariable] = shimConfig,
                },
                ExtraConfig = _options.InstallArguments is null ? GuestPullConfig(snapshotterSocket) : null,
                EditConfig = _options.InstallArguments is null ? null : (path, token) => InstallAsync(path, snapshotterSocket, token),
            },
            cancellationToken).ConfigureAwait(false);
        _owned.Add(Containerd);
        Channel = UnixSocketChannel.Create(Containerd.GrpcAddress);
        Runtime = new RuntimeService.RuntimeServiceClient(Channel);
        Images = new ImageService.ImageServiceClient(Channel);
    }

    /// <summary>containerd's config as the fixture wrote it, before <c>guestpull install</c> edited it (with <see cref="CriNodeOptions.InstallArguments"/>).</summary>
    public string? ConfigBeforeInstall { get; private set; }

    /// <summary>What <c>guestpull install --config-only</c> printed (with <see cref="CriNodeOptions.InstallArguments"/>).</summary>
    public string? InstallOutput { get; private set; }

    /// <summary>The <c>--prefix</c> the node's install used: pass it to <c>guestpull uninstall</c> to find the install record.</summary>
    public string InstallPrefix => Work.Combine("install");

    /// <summary>Runs the guestpull CLI with the node's containerd release first on PATH (what install and doctor read the version from).</summary>
    public Task<ProcessResult> RunGuestPullAsync(IEnumerable<string> arguments, CancellationToken cancellationToken) =>
        ProcessRunner.RunAsync(
            GuestPullCommand[0],
            [.. GuestPullCommand.Skip(1), .. arguments],
            new ProcessRunOptions
            {
                ThrowOnFailure = false,
                Timeout = TimeSpan.FromMinutes(2),
                Environment = _options.Release.BinDirectory is { } bin
                    ? new Dictionary<string, string?> { ["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH") }
                    : null,
            },
            cancellationToken);

    /// <summary>The arguments that point install, uninstall and doctor at this node's files and sockets.</summary>
    public IReadOnlyList<string> InstallLocationArguments(string configPath, string snapshotterSocket) =>
        ["--containerd-config", configPath, "--containerd-address", Work.Combine("containerd-not-started.sock"),
         "--snapshotter-address", snapshotterSocket, "--prefix", InstallPrefix];

    // The operator's path: a plain config, then `guestpull install --config-only`. containerd is not running
    // yet, so install asks the containerd binary on PATH (the release's) for the version.
    private async Task InstallAsync(string configPath, string snapshotterSocket, CancellationToken cancellationToken)
    {
        ConfigBeforeInstall = await File.ReadAllTextAsync(configPath, cancellationToken).ConfigureAwait(false);
        var install = await RunGuestPullAsync(
            ["install", "--config-only", .. _options.InstallArguments!, .. InstallLocationArguments(configPath, snapshotterSocket)],
            cancellationToken).ConfigureAwait(false);
        if (!install.Succeeded)
        {
            throw new InvalidOperationException($"guestpull install --config-only failed ({install.ExitCode}):\n{install.StandardOutput}\n{install.StandardError}");
        }

        InstallOutput = install.StandardOutput;
    }

    private string GuestPullConfig(string snapshotterSocket) => _options.Release.ConfigVersion >= 3
        ? throw new NotSupportedException($"{_options.Release} reads version 3 configs: configure its node through CriNodeOptions.InstallArguments")
        : $"""
            [proxy_plugins.guestpull]
              type = "snapshot"
              address = "{snapshotterSocket}"

            [plugins."io.containerd.grpc.v1.cri".containerd]
              snapshotter = "{(_options.UseGuestPullSnapshotter ? "guestpull" : "overlayfs")}"
              disable_snapshot_annotations = false
              discard_unpacked_layers = false

            [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
              runtime_type = "io.containerd.runc.v2"

            [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.guestpull]
              runtime_type = "io.containerd.guestpull.v2"
            """;

    private string ShimConfig() => $"""
        # written by the integration tests' CriNode
        sandbox = "{_options.Sandbox}"
        socket_dir = "{ShimSocketDirectory}"
        shared_root = "{SharedRoot}"
        state_root = "{ShimStateRoot}"
        {_options.ExtraShimConfig}

        [agent]
        insecure_registries = ["{Registry.Host}"]
        {_options.ExtraAgentConfig}
        {VmTable()}
        """;

    private string VmTable() => _options.GuestImageDirectory is not { } guest ? string.Empty : $"""
        [vm]
        kernel = "{Path.Combine(guest, "vmlinux")}"
        initrd = "{Path.Combine(guest, "initramfs.cpio.gz")}"
        """;

    /// <summary>
    /// Writes <c>containerd-shim-guestpull-v2</c> and <c>nydus-overlayfs</c> into <paramref name="directory"/>:
    /// the launchers build.sh puts in artifacts/bin, running <see cref="GuestPullCommand"/> instead.
    /// </summary>
    private void WriteShimLauncher(string directory)
    {
        WriteLauncher(directory, "containerd-shim-guestpull-v2", "shim");
        WriteLauncher(directory, "nydus-overlayfs", "mount-helper");
    }

    private void WriteLauncher(string directory, string name, string subcommand)
    {
        var path = Path.Combine(directory, name);
        var command = string.Join(' ', GuestPullCommand.Select(a => "'" + a.Replace("'", "'\\''", StringComparison.Ordinal) + "'"));
        File.WriteAllText(path, $"#!/bin/sh\nexec {command} {subcommand} \"$@\"\n");
        UnixFiles.SetMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
    }

    /// <summary>A pod on the node's network (no CNI needed; such a pod must not set a hostname).</summary>
    public PodSandboxConfig PodConfig(string name)
    {
        var uid = Guid.NewGuid().ToString("N");
        var logDirectory = Directory.CreateDirectory(Path.Combine(LogRoot, name + "-" + uid[..8])).FullName;
        return new PodSandboxConfig
        {
            Metadata = new PodSandboxMetadata { Name = name, Namespace = "default", Uid = uid, Attempt = 0 },
            LogDirectory = logDirectory,
            Linux = new LinuxPodSandboxConfig
            {
                SecurityContext = new LinuxSandboxSecurityContext
                {
                    NamespaceOptions = new NamespaceOption { Network = NamespaceMode.Node, Pid = NamespaceMode.Container, Ipc = NamespaceMode.Pod },
                },
            },
        };
    }

    public static ContainerConfig ContainerConfig(string name, string image, params string[] command) => new()
    {
        Metadata = new ContainerMetadata { Name = name, Attempt = 0 },
        Image = new ImageSpec { Image = image },
        Command = { command },
        LogPath = name + ".log",
        // kubelet's default: a PID namespace of the container's own (POD only with shareProcessNamespace).
        Linux = new LinuxContainerConfig
        {
            SecurityContext = new LinuxContainerSecurityContext { NamespaceOptions = new NamespaceOption { Network = NamespaceMode.Node, Pid = NamespaceMode.Container, Ipc = NamespaceMode.Pod } },
        },
    };

    /// <summary>StopPodSandbox then RemovePodSandbox, as kubelet ends a pod.</summary>
    public async Task RemovePodAsync(string podId, CancellationToken cancellationToken)
    {
        await Runtime.StopPodSandboxAsync(new StopPodSandboxRequest { PodSandboxId = podId }, cancellationToken: cancellationToken).ConfigureAwait(false);
        await Runtime.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = podId }, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Polls ContainerStatus until the container has exited (CRI learns of it from the shim's exit event).</summary>
    public async Task<ContainerStatus> WaitForExitAsync(string containerId, CancellationToken cancellationToken)
    {
        while (true)
        {
            var status = (await Runtime.ContainerStatusAsync(new ContainerStatusRequest { ContainerId = containerId }, cancellationToken: cancellationToken)).Status;
            if (status.State == ContainerState.ContainerExited)
            {
                return status;
            }

            await Task.Delay(200, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The text lines of a CRI container log (each line is "TIME STREAM TAG text").</summary>
    public static string[] ReadLogLines(string path) =>
        [.. File.ReadAllLines(path).Select(line => line.Split(' ', 4) is { Length: 4 } parts ? parts[3] : line)];

    public string Describe() =>
        $"--- containerd ---\n{Containerd?.DescribeLog(80)}\n--- snapshotter ---\n{Snapshotter?.DescribeOutput(40)}\n--- shim logs ---\n{DescribeShimLogs()}";

    private string DescribeShimLogs()
    {
        if (!Directory.Exists(ShimStateRoot))
        {
            return "(no shim state)";
        }

        var logs = Directory.EnumerateFiles(ShimStateRoot, "*.log", SearchOption.AllDirectories)
            .Select(f => $"{f}:\n{string.Join('\n', File.ReadLines(f).TakeLast(40))}");
        return string.Join('\n', logs);
    }

    private static async Task WaitForSocketAsync(string path, BackgroundProcess process, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
        while (!File.Exists(path))
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"{process.CommandLine} did not create {path}:\n{process.DescribeOutput()}");
            }

            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Channel?.Dispose();
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            try
            {
                await _owned[i].DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"CriNode: stopping {_owned[i]} failed: {ex.Message}"));
            }
        }

        Work.Dispose();
        try
        {
            foreach (var directory in new[] { ShimStateRoot, ShimSocketDirectory })
            {
                if (Directory.Exists(directory))
                {
                    Directory.Delete(directory, recursive: true);
                }
            }
        }
        catch (IOException ex)
        {
            Console.Error.WriteLine($"CriNode: removing {ShimStateRoot} failed: {ex.Message}");
        }
    }
}
