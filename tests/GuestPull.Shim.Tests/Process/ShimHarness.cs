using System.Text;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using GuestPull.Linux;
using GuestPull.Api.Containerd.Task.V2;
using GuestPull.Api.Containerd.Types;
using GuestPull.Testing;
using GuestPull.Ttrpc;

namespace GuestPull.Shim.Tests.Process;

/// <summary>
/// Runs <c>guestpull shim</c> as containerd does (cwd = bundle, TTRPC_ADDRESS, Go-style flags, address
/// on stdout), with its sockets, state and shared directories in a temporary directory, and a recording
/// event sink.
/// </summary>
internal sealed class ShimHarness : IAsyncDisposable
{
    public const string Namespace = "guestpull-test";
    public const string TaskService = "containerd.task.v2.Task";

    private readonly TempDirectory _work;
    private readonly string _ttrpcAddress;

    private ShimHarness(TempDirectory work, EventRecorder events, string configPath, string? ttrpcAddress)
    {
        _work = work;
        _ttrpcAddress = ttrpcAddress ?? events.Socket;
        Events = events;
        ConfigPath = configPath;
        ContainerdAddress = work.Combine("containerd.sock");
    }

    public EventRecorder Events { get; }

    public string ConfigPath { get; }

    public string ContainerdAddress { get; }

    public string WorkDirectory => _work.Path;

    public string SharedRoot => _work.Combine("shared");

    public string StateRoot => _work.Combine("state");

    public static string GuestPullDll => Path.Combine(AppContext.BaseDirectory, "guestpull.dll");

    /// <param name="registryHost">A plain-HTTP registry the agent may use, or null.</param>
    /// <param name="ttrpcAddress">containerd's ttrpc socket for events, or null for the recording sink.</param>
    /// <param name="cancellationToken">Cancels the set-up.</param>
    public static async Task<ShimHarness> CreateAsync(string? registryHost, CancellationToken cancellationToken, string? ttrpcAddress = null)
    {
        var work = TempDirectory.Create("shim");
        var config = work.Combine("shim.toml");
        var agent = registryHost is null ? string.Empty : $"insecure_registries = [\"{registryHost}\"]\n";
        await File.WriteAllTextAsync(
            config,
            $"sandbox = \"namespace\"\nsocket_dir = \"{work.Combine("s")}\"\nstate_root = \"{work.Combine("state")}\"\nshared_root = \"{work.Combine("shared")}\"\n[agent]\n{agent}",
            cancellationToken);
        return new ShimHarness(work, new EventRecorder(work.Combine("events.sock")), config, ttrpcAddress);
    }

    public IReadOnlyDictionary<string, string?> Environment => new Dictionary<string, string?>
    {
        ["GUESTPULL_SHIM_CONFIG"] = ConfigPath,
        ["TTRPC_ADDRESS"] = _ttrpcAddress,
    };

    /// <summary>
    /// CRI's runtime options for a runtime it does not know (runtimeoptions.v1.Options) naming a shim config
    /// file with the given agent settings, as <c>runtimes.NAME.options.ConfigPath</c> produces.
    /// </summary>
    public Any RuntimeOptions(string agentToml)
    {
        var path = _work.Combine("runtime-" + Guid.NewGuid().ToString("N")[..8] + ".toml");
        File.WriteAllText(path, $"sandbox = \"namespace\"\nshared_root = \"{SharedRoot}\"\n[agent]\n{agentToml}");
        return new Any { TypeUrl = "runtimeoptions.v1.Options", Value = new Api.Containerd.RuntimeOptions.V1.Options { ConfigPath = path }.ToByteString() };
    }

    /// <summary>Writes a bundle (config.json) for a container and returns its directory.</summary>
    public string WriteBundle(string id, JsonObject spec)
    {
        var bundle = _work.CreateSubdirectory("bundles", id);
        Directory.CreateDirectory(Path.Combine(bundle, "rootfs"));
        File.WriteAllText(Path.Combine(bundle, "config.json"), spec.ToJsonString());
        return bundle;
    }

    public async Task<string> MakeFifoAsync(string name, CancellationToken cancellationToken)
    {
        var path = _work.Combine(name);
        await ProcessRunner.RunAsync("mkfifo", [path], cancellationToken);
        return path;
    }

    public async Task<ProcessResult> RunShimAsync(string id, string bundle, string action, CancellationToken cancellationToken, bool throwOnFailure = true)
    {
        List<string> args = [GuestPullDll, "shim", "-namespace", Namespace, "-address", ContainerdAddress, "-publish-binary", "/usr/bin/containerd", "-id", id];
        if (action == "delete")
        {
            args.AddRange(["-bundle", bundle]);
        }

        args.Add(action);
        return await ProcessRunner.RunAsync(
            "dotnet",
            args,
            new ProcessRunOptions { Environment = Environment, WorkingDirectory = bundle, Timeout = TimeSpan.FromMinutes(2), ThrowOnFailure = throwOnFailure },
            cancellationToken);
    }

    /// <summary>containerd's start: the address the shim prints.</summary>
    public async Task<string> StartShimAsync(string id, string bundle, CancellationToken cancellationToken)
    {
        var result = await RunShimAsync(id, bundle, "start", cancellationToken);
        var address = result.StandardOutput.Trim();
        Assert.StartsWith("unix://" + _work.Combine("s") + "/", address, StringComparison.Ordinal);
        return address;
    }

    public static async Task<TResponse> CallAsync<TRequest, TResponse>(TtrpcClient client, string method, TRequest request, CancellationToken cancellationToken)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>, new() =>
        await client.CallAsync<TRequest, TResponse>(TaskService, method, request, TtrpcCallOptions.ForContainerdNamespace(Namespace), cancellationToken);

    public static Mount GuestPullRootfs(string volumeJson) => new()
    {
        Type = "fuse.nydus-overlayfs",
        Source = "overlay",
        Options = { "lowerdir=/nonexistent", "io.katacontainers.volume=" + Convert.ToBase64String(Encoding.UTF8.GetBytes(volumeJson)) },
    };

    public static JsonObject Spec(string sandboxId, string containerType, IReadOnlyList<string> args, string? imageName = null, IEnumerable<JsonObject>? namespaces = null, IEnumerable<JsonObject>? mounts = null)
    {
        var annotations = new JsonObject
        {
            ["io.kubernetes.cri.container-type"] = containerType,
            ["io.kubernetes.cri.sandbox-id"] = sandboxId,
        };
        if (imageName is not null)
        {
            annotations["io.kubernetes.cri.image-name"] = imageName;
        }

        return new JsonObject
        {
            ["ociVersion"] = "1.0.2",
            ["process"] = new JsonObject
            {
                ["user"] = new JsonObject { ["uid"] = 0, ["gid"] = 0 },
                ["args"] = new JsonArray([.. args.Select(a => (JsonNode?)a)]),
                ["env"] = new JsonArray("PATH=/bin"),
                ["cwd"] = "/",
            },
            ["root"] = new JsonObject { ["path"] = "rootfs" },
            ["mounts"] = new JsonArray([new JsonObject { ["destination"] = "/proc", ["type"] = "proc", ["source"] = "proc" }, .. mounts ?? []]),
            ["annotations"] = annotations,
            ["linux"] = new JsonObject
            {
                ["namespaces"] = new JsonArray([.. namespaces ?? [new JsonObject { ["type"] = "pid" }, new JsonObject { ["type"] = "ipc" }, new JsonObject { ["type"] = "uts" }], new JsonObject { ["type"] = "mount" }]),
            },
        };
    }

    /// <summary>Processes whose command line mentions the work directory (the daemon, unshare, the agent).</summary>
    public IReadOnlyList<string> ProcessesUsingWorkDirectory()
    {
        var found = new List<string>();
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), out var pid) || pid == System.Environment.ProcessId)
            {
                continue;
            }

            try
            {
                var cmdline = File.ReadAllText(Path.Combine(entry, "cmdline")).Replace('\0', ' ');
                if (cmdline.Contains(_work.Path, StringComparison.Ordinal))
                {
                    found.Add($"{pid}: {cmdline}");
                }
            }
            catch (IOException)
            {
                // Gone meanwhile.
            }
        }

        return found;
    }

    public IReadOnlyList<string> MountsUnderWorkDirectory() => Linux.Mounts.MountPointsUnder(_work.Path);

    public async Task WaitUntilCleanAsync(CancellationToken cancellationToken)
    {
        while (ProcessesUsingWorkDirectory().Count > 0 || MountsUnderWorkDirectory().Count > 0)
        {
            await Task.Delay(100, cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Leave nothing behind even when a test failed half way: kill what still runs, then unmount.
        foreach (var line in ProcessesUsingWorkDirectory())
        {
            _ = Signals.TrySend(int.Parse(line[..line.IndexOf(':', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture), Signals.Kill);
        }

        await Task.Delay(200);
        Sandbox.SharedMounts.Remove(SharedRoot);
        await Events.DisposeAsync();
        _work.Dispose();
    }
}
