using System.Net.Sockets;
using GuestPull.Linux;

namespace GuestPull.Testing.Containerd;

/// A private containerd (Debian 12's 1.6 by default, or a cached Debian release: <see cref="ContainerdOptions.Release"/>) for one test class: its own root, state, opt dir and sockets
/// under a temp directory, started in the foreground, stopped with SIGTERM (then SIGKILL) and removed
/// on dispose. Needs root, like containerd itself.
public sealed class ContainerdInstance : IAsyncDisposable
{

    private readonly TempDirectory _directory;
    private readonly ContainerdOptions _options;
    private readonly BackgroundProcess _process;
    private int _disposed;

    private ContainerdInstance(TempDirectory directory, ContainerdLayout layout, ContainerdOptions options, BackgroundProcess process)
    {
        _directory = directory;
        Layout = layout;
        _options = options;
        _process = process;
    }

    /// Every path of this instance.
    public ContainerdLayout Layout { get; }

    /// The gRPC socket path.
    public string GrpcAddress => Layout.GrpcAddress;

    /// The ttrpc socket path (`[ttrpc] address`).
    public string TtrpcAddress => Layout.TtrpcAddress;

    /// containerd's process id.
    public int ProcessId => _process.Id;

    /// Writes the config, starts containerd and returns once `ctr version` answers on the gRPC socket,
    /// the ttrpc socket accepts connections and (with CRI) the CRI plugin reports ok.
    public static async Task<ContainerdInstance> StartAsync(ContainerdOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new ContainerdOptions();
        var directory = TempDirectory.Create("containerd");
        var layout = new ContainerdLayout(directory.Path);
        BackgroundProcess? process = null;
        try
        {
            foreach (var path in new[] { layout.RootDirectory, layout.StateDirectory, layout.OptDirectory })
            {
                Directory.CreateDirectory(path);
            }

            if (options.EnableCri)
            {
                Directory.CreateDirectory(layout.CniBinDirectory);
                Directory.CreateDirectory(layout.CniConfDirectory);
            }

            await File.WriteAllTextAsync(layout.ConfigPath, ContainerdConfigWriter.Render(layout, options), cancellationToken)
                .ConfigureAwait(false);
            if (options.EnableCri && options.Release.ConfigVersion >= 3)
            {
                foreach (var host in options.PlainHttpRegistries)
                {
                    var hostDirectory = Directory.CreateDirectory(Path.Combine(layout.RegistryHostsDirectory, host)).FullName;
                    await File.WriteAllTextAsync(Path.Combine(hostDirectory, "hosts.toml"), ContainerdConfigWriter.RenderHostsToml(host), cancellationToken)
                        .ConfigureAwait(false);
                }
            }

            if (options.EditConfig is { } edit)
            {
                await edit(layout.ConfigPath, cancellationToken).ConfigureAwait(false);
            }

            process = ProcessRunner.StartBackground(
                options.ContainerdPath,
                ["--config", layout.ConfigPath, "--log-level", options.LogLevel],
                new BackgroundProcessOptions { Environment = ProcessEnvironment(options), WorkingDirectory = layout.Directory });

            var instance = new ContainerdInstance(directory, layout, options, process);
            try
            {
                await instance.WaitUntilReadyAsync(cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await instance.DisposeAsync().ConfigureAwait(false);
                throw;
            }

            return instance;
        }
        catch when (process is null)
        {
            directory.Dispose();
            throw;
        }
    }

    // The release's own directory first on PATH: containerd finds containerd-shim-runc-v2 there, so
    // runc pods run the shim of the same release (a 2.x containerd with 1.6's shim is not a tested pair).
    private static IReadOnlyDictionary<string, string?>? ProcessEnvironment(ContainerdOptions options)
    {
        if (options.Release.BinDirectory is not { } bin)
        {
            return options.Environment;
        }

        var environment = new Dictionary<string, string?>(options.Environment ?? new Dictionary<string, string?>());
        var path = environment.TryGetValue("PATH", out var configured) && configured is not null
            ? configured
            : System.Environment.GetEnvironmentVariable("PATH");
        environment["PATH"] = bin + ":" + path;
        return environment;
    }

    /// The last lines containerd logged, for assertion messages.
    public string DescribeLog(int lines = 60) => _process.DescribeOutput(lines);

    /// Waits for a line of containerd's log, already logged or still to come, that matches. Shims'
    /// logs are in it too: containerd copies each shim's log fifo to its own stderr.
    public Task<string> WaitForLogLineAsync(Func<string, bool> predicate, TimeSpan timeout, CancellationToken cancellationToken) =>
        _process.WaitForLineAsync(predicate, timeout, cancellationToken);

    /// Runs `ctr --address GRPC [-n NAMESPACE] ARGS...` to completion.
    public Task<ProcessResult> RunCtrAsync(
        IEnumerable<string> arguments,
        string? containerdNamespace = null,
        ProcessRunOptions? options = null,
        CancellationToken cancellationToken = default) =>
        ProcessRunner.RunAsync(_options.CtrPath, CtrArguments(arguments, containerdNamespace), options, cancellationToken);

    /// Starts a long-running ctr command, such as `events`; the caller disposes it.
    public BackgroundProcess StartCtr(IEnumerable<string> arguments, string? containerdNamespace = null) =>
        ProcessRunner.StartBackground(_options.CtrPath, CtrArguments(arguments, containerdNamespace));

    /// SIGTERM, then SIGKILL after <see cref="ContainerdOptions.StopTimeout"/>; then unmounts whatever is
    /// still mounted under the instance's directory and deletes it (best effort).
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        if (!_process.HasExited && Signals.TrySend(_process.Id, Signals.Terminate) == 0)
        {
            using var stop = new CancellationTokenSource(_options.StopTimeout);
            try
            {
                await _process.WaitForExitAsync(stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Disposing the handle below kills it.
            }
        }

        await _process.DisposeAsync().ConfigureAwait(false);
        MountCleanup.UnmountUnder(Layout.Directory);
        _directory.Dispose();
    }

    private IEnumerable<string> CtrArguments(IEnumerable<string> arguments, string? containerdNamespace)
    {
        var all = new List<string> { "--address", GrpcAddress };
        if (containerdNamespace is not null)
        {
            all.AddRange(["--namespace", containerdNamespace]);
        }

        all.AddRange(arguments);
        return all;
    }

    private async Task WaitUntilReadyAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.StartTimeout);
        var probe = new ProcessRunOptions { ThrowOnFailure = false, Timeout = TimeSpan.FromSeconds(30) };
        string lastProblem = "no probe ran yet";
        try
        {
            while (true)
            {
                if (_process.HasExited)
                {
                    throw new InvalidOperationException(
                        $"containerd exited with code {_process.ExitCode} while starting.\n{DescribeLog()}");
                }

                lastProblem = await ProbeAsync(probe, timeout.Token).ConfigureAwait(false) ?? string.Empty;
                if (lastProblem.Length == 0)
                {
                    return;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(200), timeout.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException(
                $"containerd did not become ready within {_options.StartTimeout}; last probe: {lastProblem}\n{DescribeLog()}");
        }
    }

    // Returns null or empty when ready, else what is still missing.
    private async Task<string?> ProbeAsync(ProcessRunOptions probe, CancellationToken cancellationToken)
    {
        if (!File.Exists(GrpcAddress) || !File.Exists(TtrpcAddress))
        {
            return "the gRPC and ttrpc sockets do not exist yet";
        }

        var version = await RunCtrAsync(["version"], options: probe, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!version.Succeeded)
        {
            return $"'ctr version' failed: {version.StandardError.Trim()}";
        }

        using (var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            try
            {
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(TtrpcAddress), cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException ex)
            {
                return $"the ttrpc socket refused a connection: {ex.Message}";
            }
        }

        if (_options.EnableCri)
        {
            var plugins = await RunCtrAsync(["plugins", "ls"], options: probe, cancellationToken: cancellationToken).ConfigureAwait(false);
            var cri = plugins.StandardOutput.Split('\n')
                .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .FirstOrDefault(fields => fields.Length >= 3 && fields[0] == "io.containerd.grpc.v1" && fields[1] == "cri");
            if (cri is null)
            {
                return "the CRI plugin is not listed yet";
            }

            if (cri[^1] != "ok")
            {
                throw new InvalidOperationException($"containerd's CRI plugin failed to load (status {cri[^1]}).\n{DescribeLog()}");
            }
        }

        return null;
    }
}
