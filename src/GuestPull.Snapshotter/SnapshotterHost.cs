using GuestPull.Snapshotter.Hosting;
using GuestPull.Snapshotter.Mounts;
using GuestPull.Snapshotter.Service;
using GuestPull.Snapshotter.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace GuestPull.Snapshotter;

/// <summary>
/// `guestpull snapshotter`: a containerd proxy snapshotter serving
/// `containerd.services.snapshots.v1.Snapshots` over a unix socket (HTTP/2 only, mode 0600).
/// </summary>
public static partial class SnapshotterHost
{
    private const int MaxMessageBytes = 16 * 1024 * 1024;
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>
    /// Serves until SIGTERM/SIGINT or <paramref name="cancellationToken"/>; returns the process exit code (0 on a clean stop).
    /// </summary>
    /// <exception cref="SnapshotterConfigurationException">The config file or a flag is invalid, or the socket is in use.</exception>
    public static async Task<int> RunAsync(SnapshotterOptions options, CancellationToken cancellationToken)
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

    /// <summary>Resolves the configuration, repairs the root, binds the socket and returns once serving (READY already sent to systemd).</summary>
    /// <exception cref="SnapshotterConfigurationException">The config file or a flag is invalid, or the socket is in use.</exception>
    public static async Task<RunningSnapshotter> StartAsync(SnapshotterOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var settings = await SettingsResolver.ResolveAsync(options, cancellationToken).ConfigureAwait(false);
        PrepareRoot(settings.Root);
        await UnixSocketPreparer.PrepareAsync(settings.Address, cancellationToken).ConfigureAwait(false);

        var store = await SnapshotStore.OpenAsync(settings.Root, cancellationToken).ConfigureAwait(false);
        WebApplication? application = null;
        try
        {
            application = Build(settings, store);
            var logger = application.Services.GetRequiredService<ILoggerFactory>().CreateLogger("GuestPull.Snapshotter");
            foreach (var warning in settings.Warnings)
            {
                LogConfigWarning(logger, warning);
            }
            await application.StartAsync(cancellationToken).ConfigureAwait(false);
            UnixModes.Set(settings.Address, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            var notified = SystemdReadiness.NotifyReady();
            LogReady(logger, settings.Address, settings.Root, settings.Driver, notified);
            if (settings.AllowHostRootfs && settings.Driver == SnapshotterDriver.Proxy)
            {
                LogHostRootfsAllowed(logger);
            }
            return new RunningSnapshotter(application, store, settings.Address, settings.Driver);
        }
        catch
        {
            if (application is not null)
            {
                await application.DisposeAsync().ConfigureAwait(false);
            }
            await store.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static void PrepareRoot(string root)
    {
        UnixModes.CreateDirectory(root, OwnerOnly);
        UnixModes.Set(root, OwnerOnly);
    }

    private static WebApplication Build(SnapshotterSettings settings, SnapshotStore store)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "guestpull-snapshotter" });
        builder.Logging.SetMinimumLevel(settings.LogLevel);
        // Kestrel and ASP.NET Core log every request at Information; keep them at Warning unless debugging.
        builder.Logging.AddFilter("Microsoft", settings.LogLevel <= LogLevel.Debug ? settings.LogLevel : LogLevel.Warning);
        builder.Logging.AddFilter("Grpc", settings.LogLevel <= LogLevel.Debug ? settings.LogLevel : LogLevel.Warning);
        builder.Logging.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            console.UseUtcTimestamp = true;
        });
        builder.Services.Configure<ConsoleLoggerOptions>(console =>
            console.LogToStandardErrorThreshold = settings.LogToStdout ? LogLevel.None : LogLevel.Trace);
        builder.Services.Configure<ConsoleLifetimeOptions>(lifetime => lifetime.SuppressStatusMessages = true);
        builder.Services.AddSystemd();

        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.ListenUnixSocket(settings.Address, listen => listen.Protocols = HttpProtocols.Http2);
        });
        builder.Services.AddRouting();
        builder.Services.AddGrpc(grpc =>
        {
            grpc.MaxReceiveMessageSize = MaxMessageBytes;
            grpc.MaxSendMessageSize = MaxMessageBytes;
        });
        builder.Services.AddSingleton(provider => new SnapshotManager(
            store,
            settings.Driver,
            settings.AllowHostRootfs,
            settings.DiscardHostLayers,
            OverlayMounts.KernelSupportsIndexOption(),
            TimeProvider.System,
            provider.GetRequiredService<ILoggerFactory>().CreateLogger<SnapshotManager>()));

        var application = builder.Build();
        application.MapGrpcService<SnapshotsService>();
        return application;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Warning}")]
    private static partial void LogConfigWarning(ILogger logger, string warning);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Snapshotter ready: serving {Address} (root {Root}, fs driver {Driver}, sd_notify sent: {Notified})")]
    private static partial void LogReady(ILogger logger, string address, string root, SnapshotterDriver driver, bool notified);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "allow_host_rootfs = true: containers on images unpacked on the host get ordinary overlay mounts and run the host's layers; never use this for confidential pods")]
    private static partial void LogHostRootfsAllowed(ILogger logger);
}
