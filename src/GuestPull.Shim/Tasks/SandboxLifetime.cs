using System.Text.Json.Nodes;
using Google.Protobuf.WellKnownTypes;
using GuestPull.Configuration.Sandbox;
using GuestPull.Shim.Configuration;
using GuestPull.Api.Containerd.RuntimeOptions.V1;
using GuestPull.Shim.Rootfs;
using GuestPull.Shim.Sandbox;
using Microsoft.Extensions.Logging;

namespace GuestPull.Shim.Tasks;

/// <summary>
/// The lifetime of the pod's one sandbox: started by the first container's Create, watched until it dies,
/// and stopped (with every process in it) when the shim stops.
/// </summary>
internal sealed partial class SandboxLifetime : IAsyncDisposable
{
    private readonly TaskServiceOptions _options;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _startGate = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private ISandbox? _sandbox;

    public SandboxLifetime(TaskServiceOptions options, ILogger logger)
    {
        _options = options;
        _logger = logger;
    }

    /// <summary>The running sandbox; null before the first Create.</summary>
    public ISandbox? Current => _sandbox;

    /// <summary>Cancelled when the shim stops the sandbox; ends the waits and copies of its processes.</summary>
    public CancellationToken Stopping => _stopping.Token;

    /// <summary>
    /// The sandbox, started on the first call for the first container's spec (its network namespace)
    /// and the config file <paramref name="configPath"/> (see <see cref="ConfigPathOf"/>), if any.
    /// </summary>
    public async Task<ISandbox> EnsureStartedAsync(JsonObject spec, IReadOnlyDictionary<string, string> annotations, string? configPath, CancellationToken cancellationToken)
    {
        if (_sandbox is { } running)
        {
            return running;
        }

        await _startGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_sandbox is { } started)
            {
                return started;
            }

            var config = _options.Config;
            if (configPath is not null)
            {
                // The runtime options' ConfigPath (CRI: runtimes.NAME.options.ConfigPath) chooses the agent settings and shared root.
                var chosen = await ShimConfigParser.LoadAsync(configPath, cancellationToken).ConfigureAwait(false);
                config = chosen with { SocketDirectory = config.SocketDirectory, StateRoot = config.StateRoot };
            }

            var request = new SandboxRequest(_options.SandboxId, SpecRewriter.NetworkNamespacePath(spec), _options.Layout, config, annotations);
            if (config.Sandbox == SandboxKind.Namespace)
            {
                LogNotProtected(_logger, _options.SandboxId);
            }

            _sandbox = await _options.BackendFor(config.Sandbox).StartAsync(request, cancellationToken).ConfigureAwait(false);
            _ = WatchAsync(_sandbox);
            return _sandbox;
        }
        finally
        {
            _startGate.Release();
        }
    }

    /// <summary>Stops the sandbox (every process in it) and removes its host traces.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_sandbox is { } sandbox)
        {
            await sandbox.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The ConfigPath of containerd's runtime options for the task, when they are guestpull's and set one.</summary>
    public static string? ConfigPathOf(Any? options)
    {
        if (options is null || !options.TypeUrl.EndsWith("runtimeoptions.v1.Options", StringComparison.Ordinal))
        {
            return null;
        }

        var parsed = Options.Parser.ParseFrom(options.Value);
        return parsed.ConfigPath.Length > 0 ? parsed.ConfigPath : null;
    }

    private async Task WatchAsync(ISandbox sandbox)
    {
        await sandbox.Exited.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (!_stopping.IsCancellationRequested)
        {
            LogSandboxDied(_logger, sandbox.Id);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "sandbox {SandboxId}: sandbox = \"namespace\": the pod runs in host namespaces, and its rootfs in a host tmpfs that any host root process can read and change; use sandbox = \"vm\" to protect it from the host")]
    private static partial void LogNotProtected(ILogger logger, string sandboxId);

    [LoggerMessage(Level = LogLevel.Error, Message = "sandbox {SandboxId} died")]
    private static partial void LogSandboxDied(ILogger logger, string sandboxId);
}
