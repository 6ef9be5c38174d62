using GuestPull.Testing;
using GuestPull.Ttrpc;
using Microsoft.Extensions.Logging.Abstractions;
using ApiAgentClient = GuestPull.Api.Agent.AgentClient;

namespace GuestPull.Agent.Tests.Support;

/// An agent started in-process for CopyFile alone: no registry, no pause binary, its copy root and
/// every other directory under one temp directory, with a sibling "outside" directory that escape
/// attempts aim at.
public sealed class CopyFileAgent : IAsyncLifetime
{
    private TempDirectory? _directory;
    private RunningAgent? _agent;

    /// The raw ttrpc connection, for requests the typed client would never send.
    public TtrpcClient Client { get; private set; } = null!;

    /// The shim's typed client (GuestPull.Api), over its own connection.
    public ApiAgentClient Typed { get; private set; } = null!;

    public string CopyRoot => _directory!.Combine("shared", "containers");

    public string Outside => _directory!.Combine("outside");

    public async Task InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        _directory = TempDirectory.Create("agent-copy");
        Directory.CreateDirectory(Outside);
        var registriesConf = _directory.Combine("registries.conf");
        await File.WriteAllTextAsync(registriesConf, "unqualified-search-registries = []\n", timeout.Token);
        var authFile = _directory.Combine("auth.json");
        await File.WriteAllTextAsync(authFile, "{\"auths\":{}}", timeout.Token);
        var config = _directory.Combine("agent.toml");
        await File.WriteAllTextAsync(config, $"""
            image_root = "{_directory.Combine("image")}"
            bundle_root = "{_directory.Combine("bundles")}"
            runc_root = "{_directory.Combine("runc")}"
            registries_conf = "{registriesConf}"
            auth_file = "{authFile}"
            pause_binary = "{_directory.Combine("no-pause-binary")}"
            copy_root = "{CopyRoot}"
            """, timeout.Token);

        var socket = "unix://" + _directory.Combine("agent.sock");
        _agent = await AgentHost.StartAsync(new AgentOptions { Listen = socket, ConfigFile = config }, NullLoggerFactory.Instance, timeout.Token);
        Client = await TtrpcClient.ConnectAsync(socket, cancellationToken: timeout.Token);
        Typed = new ApiAgentClient(await TtrpcClient.ConnectAsync(socket, cancellationToken: timeout.Token));
    }

    /// A path below the copy root.
    public string Below(params string[] parts) => Path.Combine([CopyRoot, .. parts]);

    public async Task DisposeAsync()
    {
        if (Typed is not null)
        {
            await Typed.DisposeAsync();
        }

        if (Client is not null)
        {
            await Client.DisposeAsync();
        }

        if (_agent is not null)
        {
            await _agent.DisposeAsync();
        }

        _directory?.Dispose();
    }
}
