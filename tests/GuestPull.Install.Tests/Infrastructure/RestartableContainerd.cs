using GuestPull.Install.Toml;
using GuestPull.Testing;

namespace GuestPull.Install.Tests.Infrastructure;

/// <summary>
/// A private containerd whose config file is a real <c>containerd config default</c> (with private paths)
/// that the installer edits, run under a small supervisor loop so it can be restarted the way systemd
/// would: <see cref="RestartCommand"/> stops the running one, the loop starts the next with the file as it is then.
/// </summary>
internal sealed class RestartableContainerd : IAsyncDisposable
{
    private readonly TempDirectory _directory;
    private BackgroundProcess? _supervisor;

    private RestartableContainerd(TempDirectory directory) => _directory = directory;

    public string Directory => _directory.Path;

    public string ConfigPath => Path.Combine(Directory, "config.toml");

    public string GrpcAddress => Path.Combine(Directory, "grpc.sock");

    private string PidFile => Path.Combine(Directory, "containerd.pid");

    private string StopFile => Path.Combine(Directory, "stop");

    /// <summary>Stops the running containerd and returns once it has exited (as <c>systemctl restart</c> does).</summary>
    public string RestartCommand =>
        $"pid=$(cat '{PidFile}'); kill $pid; while kill -0 $pid 2>/dev/null; do sleep 0.1; done";

    /// <summary>Writes the private config and starts containerd on it.</summary>
    public static async Task<RestartableContainerd> StartAsync(CancellationToken cancellationToken)
    {
        var instance = await CreateAsync(cancellationToken);
        try
        {
            await instance.StartAsync(cancellationToken: cancellationToken);
            return instance;
        }
        catch
        {
            await instance.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Writes the private config only; <see cref="StartAsync(CancellationToken, bool)"/> starts containerd later.
    /// With <paramref name="criRegistry"/>, CRI runs (private CNI dirs, that plain-HTTP registry as a mirror).
    /// </summary>
    public static async Task<RestartableContainerd> CreateAsync(CancellationToken cancellationToken, string? criRegistry = null)
    {
        var directory = TempDirectory.Create("install-containerd");
        try
        {
            var config = await TestFiles.ContainerdDefaultConfigAsync();
            await File.WriteAllTextAsync(Path.Combine(directory.Path, "config.toml"), Privatise(config, directory.Path, criRegistry), cancellationToken);
            return new RestartableContainerd(directory);
        }
        catch
        {
            directory.Dispose();
            throw;
        }
    }

    /// <summary>Starts the supervisor loop (with extra directories in containerd's PATH) and waits until containerd answers.</summary>
    public async Task StartAsync(CancellationToken cancellationToken, bool wait = true)
    {
        var script = "while [ ! -e \"$1/stop\" ]; do containerd --config \"$1/config.toml\" >>\"$1/containerd.log\" 2>&1 & echo $! >\"$1/containerd.pid\"; wait $!; done";
        _supervisor = ProcessRunner.StartBackground("/bin/sh", ["-c", script, "sh", Directory]);
        if (wait)
        {
            await WaitUntilAnsweringAsync(cancellationToken);
        }
    }

    public Task<ProcessResult> RunCtrAsync(IEnumerable<string> arguments, string? containerdNamespace = null, bool throwOnFailure = true) =>
        ProcessRunner.RunAsync("ctr", ["--address", GrpcAddress, .. containerdNamespace is null ? Array.Empty<string>() : ["--namespace", containerdNamespace], .. arguments],
            new ProcessRunOptions { ThrowOnFailure = throwOnFailure, Timeout = TimeSpan.FromMinutes(3) });

    public string DescribeLog() => File.Exists(Path.Combine(Directory, "containerd.log"))
        ? string.Join('\n', File.ReadLines(Path.Combine(Directory, "containerd.log")).TakeLast(30))
        : "(no log)";

    public async Task WaitUntilAnsweringAsync(CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (true)
        {
            var version = File.Exists(GrpcAddress) ? await RunCtrAsync(["version"], throwOnFailure: false) : null;
            if (version?.Succeeded == true)
            {
                return;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the private containerd did not answer on {GrpcAddress}\n{DescribeLog()}");
            }
            await Task.Delay(200, cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await File.WriteAllTextAsync(StopFile, string.Empty);
        if (_supervisor is not null)
        {
            await _supervisor.DisposeAsync();
        }
        UnmountUnder(Directory);
        _directory.Dispose();
    }

    // Every path containerd writes to goes under the test's directory; CRI stays off unless asked for (ctr is enough).
    private static string Privatise(string config, string directory, string? criRegistry)
    {
        const string Cri = "io.containerd.grpc.v1.cri";
        var editor = TomlDocumentEditor.Parse(config, "containerd config default");
        editor.SetValue([], "root", TomlDocumentEditor.Quote(Path.Combine(directory, "root")));
        editor.SetValue([], "state", TomlDocumentEditor.Quote(Path.Combine(directory, "state")));
        if (criRegistry is null)
        {
            editor.SetValue([], "disabled_plugins", "[\"io.containerd.grpc.v1.cri\"]");
        }
        else
        {
            var cni = Path.Combine(directory, "cni");
            System.IO.Directory.CreateDirectory(Path.Combine(cni, "bin"));
            System.IO.Directory.CreateDirectory(Path.Combine(cni, "conf"));
            editor.SetValue(["plugins", Cri], "sandbox_image", TomlDocumentEditor.Quote($"{criRegistry}/pause:3.9"));
            // Root here lacks CAP_SYS_RESOURCE, so runc cannot lower oom_score_adj (docs/contracts.md, section 10).
            editor.SetValue(["plugins", Cri], "restrict_oom_score_adj", "true");
            editor.SetValue(["plugins", Cri, "cni"], "bin_dir", TomlDocumentEditor.Quote(Path.Combine(cni, "bin")));
            editor.SetValue(["plugins", Cri, "cni"], "conf_dir", TomlDocumentEditor.Quote(Path.Combine(cni, "conf")));
            editor.SetValue(["plugins", Cri, "registry", "mirrors", criRegistry], "endpoint", $"[\"http://{criRegistry}\"]");
        }
        editor.SetValue(["grpc"], "address", TomlDocumentEditor.Quote(Path.Combine(directory, "grpc.sock")));
        editor.SetValue(["ttrpc"], "address", TomlDocumentEditor.Quote(Path.Combine(directory, "ttrpc.sock")));
        editor.SetValue(["debug"], "address", "\"\"");
        editor.SetValue(["metrics"], "address", "\"\"");
        editor.SetValue(["plugins", "io.containerd.internal.v1.opt"], "path", TomlDocumentEditor.Quote(Path.Combine(directory, "opt")));
        return editor.ToString();
    }

    private static void UnmountUnder(string directory)
    {
        foreach (var mountPoint in File.ReadLines("/proc/self/mountinfo").Select(l => l.Split(' ')[4])
            .Where(m => m.StartsWith(directory + "/", StringComparison.Ordinal)).OrderByDescending(m => m.Length))
        {
            _ = GuestPull.Linux.Mounts.TryUnmount(mountPoint, 2);
        }
    }
}
