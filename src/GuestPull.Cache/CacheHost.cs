using System.Net;
using GuestPull.Cache.Distribution;
using GuestPull.Cache.Hosting;
using GuestPull.Cache.Store;
using GuestPull.Oci.Registry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace GuestPull.Cache;

/// <summary>
/// `guestpull cache`: a node-local pull-through cache of blobs and manifests named by digest,
/// serving the OCI distribution read API over HTTP. It holds nothing a guest has to trust: the
/// guest verifies every digest itself, so the cache only saves registry traffic.
/// </summary>
public static partial class CacheHost
{
    /// <summary>Serves until SIGTERM/SIGINT or <paramref name="cancellationToken"/>; returns the exit code (0 on a clean stop).</summary>
    public static async Task<int> RunAsync(CacheOptions options, CancellationToken cancellationToken)
    {
        await using var running = await StartAsync(options, cancellationToken).ConfigureAwait(false);
        try
        {
            await running.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Asked to stop by the caller: a clean stop.
        }

        return 0;
    }

    /// <summary>Opens the store, binds the listener and returns once serving (READY sent to systemd when run as a unit).</summary>
    /// <exception cref="ArgumentException">The listen address or size limit is invalid.</exception>
    public static async Task<RunningCache> StartAsync(CacheOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var endpoint = ListenAddress.Parse(options.Listen);
        if (options.MaxSize <= 0)
        {
            throw new ArgumentException("--max-size must be a positive size");
        }

        var metrics = new CacheMetrics();
        var upstreamOptions = options.Upstream with { UserAgent = DistributionHandler.UserAgentPrefix + typeof(CacheHost).Assembly.GetName().Version?.ToString(3) };
        WebApplication? application = null;
        RegistryClient? upstream = null;
        BlobStore? store = null;
        try
        {
            application = Build(options, endpoint);
            var logging = application.Services.GetRequiredService<ILoggerFactory>();
            var logger = logging.CreateLogger("GuestPull.Cache");
            store = BlobStore.Open(options.Root, options.MaxSize, logger, metrics.Evicted);
            upstream = new RegistryClient(upstreamOptions, logging.CreateLogger<RegistryClient>());
            var handler = new DistributionHandler(upstream, store, metrics, logger);
            application.Run(handler.HandleAsync);
            await application.StartAsync(cancellationToken).ConfigureAwait(false);
            var address = BoundAddress(application, endpoint);
            LogReady(logger, address, store.Root, options.MaxSize, store.TotalBytes, store.Count);
            return new RunningCache(application, store, upstream, address, metrics);
        }
        catch
        {
            store?.Dispose();
            if (application is not null)
            {
                await application.DisposeAsync().ConfigureAwait(false);
            }

            upstream?.Dispose();
            throw;
        }
    }

    private static WebApplication Build(CacheOptions options, IPEndPoint endpoint)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "guestpull-cache" });
        builder.Logging.SetMinimumLevel(options.LogLevel);
        // Kestrel and ASP.NET Core log every request at Information; keep them at Warning unless debugging.
        builder.Logging.AddFilter("Microsoft", options.LogLevel <= LogLevel.Debug ? options.LogLevel : LogLevel.Warning);
        builder.Logging.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            console.UseUtcTimestamp = true;
        });
        builder.Services.Configure<ConsoleLoggerOptions>(console =>
            console.LogToStandardErrorThreshold = options.LogToStdout ? LogLevel.None : LogLevel.Trace);
        builder.Services.Configure<ConsoleLifetimeOptions>(lifetime => lifetime.SuppressStatusMessages = true);
        builder.Services.AddSystemd();
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(endpoint);
        });
        return builder.Build();
    }

    private static string BoundAddress(WebApplication application, IPEndPoint requested)
    {
        var bound = application.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        if (bound is not null && Uri.TryCreate(bound, UriKind.Absolute, out var uri))
        {
            return requested.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
                ? $"[{requested.Address}]:{uri.Port}"
                : $"{requested.Address}:{uri.Port}";
        }

        return requested.ToString();
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Cache ready: serving http://{Address}/v2/ (root {Root}, limit {MaxSize} bytes, {Bytes} bytes in {Entries} entries)")]
    private static partial void LogReady(ILogger logger, string address, string root, long maxSize, long bytes, int entries);
}
