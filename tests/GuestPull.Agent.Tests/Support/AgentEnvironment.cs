using GuestPull.Testing;
using GuestPull.Ttrpc;
using Microsoft.Extensions.Logging.Abstractions;

namespace GuestPull.Agent.Tests.Support;

/// A docker-registry holding a busybox image whose Cmd prints "hello", and an agent started in-process on a
/// unix socket, with its image store, bundles and runc state under one temp directory.
public sealed class AgentEnvironment : IAsyncLifetime
{
    public const string HelloRepository = "test/hello";

    private TempDirectory? _directory;
    private RunningAgent? _agent;

    public RegistryInstance Registry { get; private set; } = null!;

    public TtrpcClient Client { get; private set; } = null!;

    public string HelloImage => $"{Registry.Host}/{HelloRepository}:latest";

    public string ImageRoot => _directory!.Combine("image");

    public string BundleRoot => _directory!.Combine("bundles");

    public string RuncRoot => _directory!.Combine("runc");

    public string Scratch => _directory!.Combine("scratch");

    public string ConfigPath => _directory!.Combine("agent.toml");

    internal RunningAgent Agent => _agent!;

    public async Task InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        _directory = TempDirectory.Create("agent");
        Directory.CreateDirectory(Scratch);
        Registry = await RegistryInstance.StartAsync(timeout.Token);

        var layout = _directory.Combine("layout");
        await ImageBuilder.BuildBusyboxAsync(layout, "hello", new ImageConfigOptions { Cmd = ["echo", "hello"] }, timeout.Token);
        await ImageBuilder.PushAsync(layout, "hello", Registry, HelloRepository + ":latest", cancellationToken: timeout.Token);

        var registriesConf = _directory.Combine("registries.conf");
        await File.WriteAllTextAsync(registriesConf, "unqualified-search-registries = []\n", timeout.Token);
        var authFile = _directory.Combine("auth.json");
        await File.WriteAllTextAsync(authFile, "{\"auths\":{}}", timeout.Token);
        await File.WriteAllTextAsync(ConfigPath, $"""
            image_root = "{ImageRoot}"
            bundle_root = "{BundleRoot}"
            runc_root = "{RuncRoot}"
            registries_conf = "{registriesConf}"
            auth_file = "{authFile}"
            insecure_registries = ["{Registry.Host}"]
            pull_concurrency = 2
            pull_timeout_seconds = 300
            """, timeout.Token);

        var socket = _directory.Combine("agent.sock");
        _agent = await AgentHost.StartAsync(new AgentOptions { Listen = "unix://" + socket, ConfigFile = ConfigPath }, NullLoggerFactory.Instance, timeout.Token);
        Client = await TtrpcClient.ConnectAsync("unix://" + socket, cancellationToken: timeout.Token);
    }

    public string BundleOf(string containerId) => Path.Combine(BundleRoot, containerId);

    public async Task DisposeAsync()
    {
        if (Client is not null)
        {
            await Client.DisposeAsync();
        }

        if (_agent is not null)
        {
            await _agent.DisposeAsync();
        }

        if (Registry is not null)
        {
            await Registry.DisposeAsync();
        }

        _directory?.Dispose();
    }
}
