using GuestPull.Configuration.Sandbox;
using GuestPull.Shim.Vm;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using GuestPull.Shim.Configuration;
using GuestPull.Shim.Daemon;
using GuestPull.Shim.Events;
using GuestPull.Shim.Logging;
using GuestPull.Api.Containerd.Task.V2;
using GuestPull.Shim.Sandbox;
using GuestPull.Shim.Tasks;
using GuestPull.Ttrpc;
using Microsoft.Extensions.Logging;

namespace GuestPull.Shim;

/// <summary>
/// <c>containerd-shim-guestpull-v2</c>: the containerd shim v2 of the guestpull runtime
/// (runtime type <c>io.containerd.guestpull.v2</c>). One shim per pod serves
/// <c>containerd.task.v2.Task</c> and runs the pod in a sandbox whose agent pulls the images.
/// </summary>
public static partial class ShimHost
{
    /// <summary>The exit status <c>delete</c> reports for a task whose shim died (SIGKILL).</summary>
    public const uint DeadShimExitStatus = 137;

    /// <summary>
    /// containerd's <c>start</c>: returns the address (<c>unix:///path</c>) of the pod's shim, launching
    /// the detached daemon unless a shim of the same pod (CRI's sandbox-id annotation) already serves.
    /// </summary>
    /// <param name="arguments">containerd's arguments; the bundle is the working directory unless <c>-bundle</c> says otherwise.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <exception cref="ShimException">The bundle, the config or the daemon failed; the message says which.</exception>
    public static async Task<string> StartAsync(ShimArguments arguments, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var config = await ShimConfigParser.LoadAsync(null, cancellationToken).ConfigureAwait(false);
        var bundle = arguments.Bundle ?? Directory.GetCurrentDirectory();
        var spec = await PodGrouping.TryReadSpecAsync(bundle, cancellationToken).ConfigureAwait(false);
        var group = PodGrouping.GroupOf(arguments.Id, spec);
        var layout = ShimLayout.For(config, arguments.Address, arguments.Namespace, group);
        if (!await ShimLauncher.IsServingAsync(layout.Socket, cancellationToken).ConfigureAwait(false))
        {
            Directory.CreateDirectory(config.SocketDirectory);
            var serve = new ShimArguments
            {
                Namespace = arguments.Namespace,
                Address = arguments.Address,
                PublishBinary = arguments.PublishBinary,
                Id = arguments.Id,
                Bundle = bundle,
                Debug = arguments.Debug,
                Action = ShimAction.Serve,
            };
            await ShimLauncher.LaunchAsync(GuestPullExecutable.Resolve(null), serve.ForServe(layout.Socket, group), layout.Socket, bundle, cancellationToken).ConfigureAwait(false);
        }

        // containerd re-connects to a shim after a restart through this file, as it does for runc's.
        await File.WriteAllTextAsync(Path.Combine(bundle, "address"), layout.Address, cancellationToken).ConfigureAwait(false);
        return layout.Address;
    }

    /// <summary>
    /// containerd's <c>delete</c>, run after a shim connection closes: when the pod's shim still serves,
    /// asks it to delete the task; when it is dead, kills its sandbox and removes the pod's host state.
    /// Returns the serialized <c>containerd.task.v2.DeleteResponse</c> to print on stdout.
    /// </summary>
    /// <param name="arguments">containerd's arguments, with <c>-bundle</c>.</param>
    /// <param name="cancellationToken">Cancels the cleanup.</param>
    public static async Task<byte[]> DeleteAsync(ShimArguments arguments, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var config = await ShimConfigParser.LoadAsync(null, cancellationToken).ConfigureAwait(false);
        var bundle = arguments.Bundle ?? Directory.GetCurrentDirectory();
        var spec = await PodGrouping.TryReadSpecAsync(bundle, cancellationToken).ConfigureAwait(false);
        var group = PodGrouping.GroupOf(arguments.Id, spec);
        var layout = ShimLayout.For(config, arguments.Address, arguments.Namespace, group);
        var response = new DeleteResponse { ExitStatus = DeadShimExitStatus, ExitedAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow) };
        if (await ShimLauncher.IsServingAsync(layout.Socket, cancellationToken).ConfigureAwait(false))
        {
            try
            {
                var client = await TtrpcClient.ConnectAsync(layout.Socket, cancellationToken: cancellationToken).ConfigureAwait(false);
                await using (client.ConfigureAwait(false))
                {
                    response = await client.CallAsync<DeleteRequest, DeleteResponse>(
                        TaskService.Service,
                        "Delete",
                        new DeleteRequest { Id = arguments.Id },
                        new TtrpcCallOptions { Metadata = TtrpcMetadata.ForContainerdNamespace(arguments.Namespace), Timeout = TimeSpan.FromSeconds(30) },
                        cancellationToken).ConfigureAwait(false);
                }
            }
            catch (TtrpcException)
            {
                // Already deleted (the usual case: containerd runs delete after every task's connection closes).
            }

            return response.ToByteArray();
        }

        await SandboxTraces.CleanupAsync(layout, cancellationToken).ConfigureAwait(false);
        if (File.Exists(layout.Socket))
        {
            File.Delete(layout.Socket);
        }

        return response.ToByteArray();
    }

    /// <summary>
    /// The detached daemon: serves <c>containerd.task.v2.Task</c> on <c>-socket</c> for the pod <c>-group</c>,
    /// forwards events to <c>$TTRPC_ADDRESS</c>, and returns 0 after containerd's Shutdown (or cancellation)
    /// once the sandbox is stopped and removed. Logs go to the bundle's <c>log</c> fifo, else <c>shim.log</c> there.
    /// </summary>
    /// <param name="arguments">The arguments <see cref="StartAsync"/> launched the daemon with.</param>
    /// <param name="cancellationToken">Stops the daemon (SIGTERM).</param>
    public static async Task<int> ServeAsync(ShimArguments arguments, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var bundle = arguments.Bundle ?? Directory.GetCurrentDirectory();
        var logFifo = Path.Combine(bundle, "log");
        using var logging = new JsonLinesLoggerFactory(
            LogSink.Open(File.Exists(logFifo) ? logFifo : Path.Combine(bundle, "shim.log")),
            arguments.Debug ? LogLevel.Debug : LogLevel.Information);
        var logger = logging.CreateLogger("GuestPull.Shim");
        try
        {
            return await ServeCoreAsync(arguments, logging, logger, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            LogFailed(logger, ex);
            throw;
        }
    }

    private static async Task<int> ServeCoreAsync(ShimArguments arguments, ILoggerFactory logging, ILogger logger, CancellationToken cancellationToken)
    {
        var config = await ShimConfigParser.LoadAsync(null, cancellationToken).ConfigureAwait(false);
        foreach (var warning in config.Warnings)
        {
            LogConfigWarning(logger, warning);
        }

        var group = arguments.Group ?? arguments.Id;
        var layout = ShimLayout.For(config, arguments.Address, arguments.Namespace, group);
        var socket = arguments.Socket ?? layout.Socket;
        await using var events = new EventForwarder(Environment.GetEnvironmentVariable("TTRPC_ADDRESS"), arguments.Namespace, logging.CreateLogger<EventForwarder>());
        var service = new TaskService(new TaskServiceOptions(group, layout, config, kind => kind == SandboxKind.Vm ? new VmSandboxBackend(logging) : new NamespaceSandboxBackend(logging), events), logging.CreateLogger<TaskService>());
        var server = new TtrpcServer();
        try
        {
            service.Register(server);
            server.ListenUnixSocket(socket);
            LogServing(logger, group, socket, config.Source ?? "defaults");
            await service.ShutdownRequested.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        finally
        {
            // The sandbox goes first, while the socket still answers, so a concurrent delete does not race the cleanup.
            await service.DisposeAsync().ConfigureAwait(false);
            await events.FlushAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            await server.ShutdownAsync(CancellationToken.None).ConfigureAwait(false);
            await server.DisposeAsync().ConfigureAwait(false);
            LogExiting(logger, group);
        }

        return 0;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "shim for pod {Group} serving containerd.task.v2.Task on {Socket} (config: {Config})")]
    private static partial void LogServing(ILogger logger, string group, string socket, string config);

    [LoggerMessage(Level = LogLevel.Information, Message = "shim for pod {Group} exiting")]
    private static partial void LogExiting(ILogger logger, string group);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Warning}")]
    private static partial void LogConfigWarning(ILogger logger, string warning);

    [LoggerMessage(Level = LogLevel.Error, Message = "shim failed")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
