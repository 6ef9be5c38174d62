using GuestPull.Ttrpc;
using Microsoft.Extensions.Logging;

namespace GuestPull.Agent.ConfidentialDataHub;

/// <summary>
/// Runs <c>confidential-data-hub</c>: GuestPull's image service behind the ttrpc API kata-agent (3.18 and
/// later) calls to pull each container's image in the guest (docs/kata.md).
/// </summary>
public static partial class CdhHost
{
    /// <summary>Serves until <paramref name="cancellationToken"/> is cancelled.</summary>
    /// <param name="options">cdh.toml and the kernel command line file.</param>
    /// <param name="logging">Where the service logs.</param>
    /// <param name="cancellationToken">Stops the service.</param>
    /// <returns>0 after a clean stop.</returns>
    /// <exception cref="AgentConfigurationException">cdh.toml or a file it names is unreadable or invalid; the message names the key.</exception>
    public static async Task<int> RunAsync(CdhOptions options, ILoggerFactory logging, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logging);
        var settings = await CdhConfigParser.LoadAsync(options.ConfigFile, options.KernelCommandLine, cancellationToken).ConfigureAwait(false);
        var logger = logging.CreateLogger("GuestPull.Cdh");
        foreach (var warning in settings.Warnings)
        {
            LogWarning(logger, warning);
        }

        foreach (var unserved in settings.Image.Unserved)
        {
            LogUnserved(logger, unserved);
        }

        await using var images = await CdhImageService.CreateAsync(settings.Image, logging, cancellationToken).ConfigureAwait(false);
        await using var server = new TtrpcServer();
        CdhServices.Register(server, images);
        if (Path.GetDirectoryName(settings.Socket["unix://".Length..]) is { Length: > 0 } directory)
        {
            Directory.CreateDirectory(directory);
        }

        server.Listen(settings.Socket);
        LogServing(logger, settings.Socket, settings.Image.Source, settings.Image.WorkDir, settings.Image.PolicyFile ?? (settings.Image.PolicyText is null ? "none" : "inline"));
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Asked to stop: a clean stop.
        }

        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await server.ShutdownAsync(grace.Token).ConfigureAwait(false);
        return 0;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Warning}")]
    private static partial void LogWarning(ILogger logger, string warning);

    [LoggerMessage(Level = LogLevel.Warning, Message = "image pulls will be refused: {Setting}")]
    private static partial void LogUnserved(ILogger logger, string setting);

    [LoggerMessage(Level = LogLevel.Information, Message = "serving api.ImagePullService on {Address} (image settings from {Source}, layers in {WorkDir}, policy {Policy})")]
    private static partial void LogServing(ILogger logger, string address, string source, string workDir, string policy);
}
