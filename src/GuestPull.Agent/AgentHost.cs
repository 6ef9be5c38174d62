using GuestPull.Agent.Configuration;
using GuestPull.Agent.Containers;
using GuestPull.Agent.Files;
using GuestPull.Agent.Service;
using GuestPull.Agent.Storage;
using GuestPull.Images.Store;
using GuestPull.Ttrpc;
using Microsoft.Extensions.Logging;

namespace GuestPull.Agent;

/// <summary>
/// Runs <c>guestpull agent</c>: the guest-side ttrpc service <c>guestpull.agent.v1.Agent</c> that
/// pulls container images inside the sandbox (storage driver <c>image_guest_pull</c>) and runs
/// them with runc.
/// </summary>
public static partial class AgentHost
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Serves until <paramref name="cancellationToken"/> is cancelled, then removes the agent's containers and stops.</summary>
    /// <param name="options">The listen address and config file.</param>
    /// <param name="logging">Where the agent logs.</param>
    /// <param name="cancellationToken">Stops the agent.</param>
    /// <returns>0 after a clean stop.</returns>
    /// <exception cref="AgentConfigurationException">The config file is unreadable or invalid; the message names the key.</exception>
    public static async Task<int> RunAsync(AgentOptions options, ILoggerFactory logging, CancellationToken cancellationToken)
    {
        await using var agent = await StartAsync(options, logging, cancellationToken).ConfigureAwait(false);
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Asked to stop: a clean stop.
        }

        return 0;
    }

    internal static async Task<RunningAgent> StartAsync(AgentOptions options, ILoggerFactory logging, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logging);
        if (string.IsNullOrWhiteSpace(options.Listen))
        {
            throw new AgentConfigurationException("the agent needs a listen address (--listen unix:///path or serial:///dev/virtio-ports/NAME)");
        }

        var settings = await AgentConfigParser.LoadAsync(options.ConfigFile, cancellationToken).ConfigureAwait(false);
        var logger = logging.CreateLogger("GuestPull.Agent");
        foreach (var warning in settings.Warnings)
        {
            LogConfigWarning(logger, warning);
        }

        if (settings.LoopbackGateway is { } gateway)
        {
            LogLoopbackGateway(logger, gateway.ToString());
        }

        if (settings.Policy is { } policy)
        {
            if (!File.Exists(policy))
            {
                throw new AgentConfigurationException($"'policy': {policy} does not exist");
            }

            LogPolicyEnforced(logger, policy);
        }

        Directory.CreateDirectory(settings.BundleRoot);
        Directory.CreateDirectory(settings.RuncRoot, OwnerOnly);
        var store = await LayerStore.OpenAsync(settings.ImageRoot, logging.CreateLogger<LayerStore>(), cancellationToken).ConfigureAwait(false);
        GuestImageService? images = null;
        ContainerManager? containers = null;
        var files = new FileCopyService(settings.CopyRoot, logging.CreateLogger("GuestPull.Agent.Files"));
        var server = new TtrpcServer(new TtrpcServerOptions { MaxConnections = settings.MaxConnections, IdleTimeout = settings.IdleTimeout });
        try
        {
            images = CreateImageService(settings, store, logging);
            var pauseLayer = PauseRootfs.Prepare(settings.ImageRoot, settings.PauseBinary, logger);
            containers = new ContainerManager(settings, images, pauseLayer, logging);
            AgentService.Register(server, containers, files);
            server.Listen(options.Listen);
            LogListening(logger, options.Listen, settings.ImageRoot, settings.BundleRoot);
            return new RunningAgent(options.Listen, server, containers, images, files, store);
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            if (containers is not null)
            {
                await containers.DisposeAsync().ConfigureAwait(false);
            }

            images?.Dispose();
            files.Dispose();
            await store.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static GuestImageService CreateImageService(AgentSettings settings, LayerStore store, ILoggerFactory logging)
    {
        try
        {
            return new GuestImageService(settings, store, logging);
        }
        catch (Exception ex) when (ex is FileNotFoundException or InvalidDataException)
        {
            throw new AgentConfigurationException($"cannot load the registry settings ('registries_conf' / 'auth_file'): {ex.Message}", ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Warning}")]
    private static partial void LogConfigWarning(ILogger logger, string warning);

    [LoggerMessage(Level = LogLevel.Information, Message = "signature policy {Policy} is enforced on every image pull")]
    private static partial void LogPolicyEnforced(ILogger logger, string policy);

    [LoggerMessage(Level = LogLevel.Information, Message = "registries on a loopback host (localhost, 127.0.0.0/8, ::1) are dialled at {Gateway}")]
    private static partial void LogLoopbackGateway(ILogger logger, string gateway);

    [LoggerMessage(Level = LogLevel.Information, Message = "serving guestpull.agent.v1.Agent on {Address} (images {ImageRoot}, bundles {BundleRoot})")]
    private static partial void LogListening(ILogger logger, string address, string imageRoot, string bundleRoot);
}
