using System.Net;
using System.Net.Sockets;
using GuestPull.Linux.Namespaces;
using Microsoft.Extensions.Logging;

namespace GuestPull.Shim.Vm;

/// <summary>
/// Makes the node cache on the node's loopback reachable from a pod VM whose QEMU runs in the pod's
/// network namespace: a listener on that namespace's loopback, at the cache's port (where the VM's
/// gateway 10.0.2.2 leads), whose connections the shim, in the node's namespace, joins to the cache.
/// Only the pod's namespace reaches the listener, and it leads to the cache's port only.
/// </summary>
internal sealed partial class NodeCacheRelay : IAsyncDisposable
{
    private const int Backlog = 64;

    private readonly Socket _listener;
    private readonly IPEndPoint _cache;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _accepting;

    private NodeCacheRelay(Socket listener, IPEndPoint cache, ILogger logger)
    {
        _listener = listener;
        _cache = cache;
        _logger = logger;
        _accepting = AcceptAsync();
    }

    /// <summary>The listener's address inside the pod's namespace.</summary>
    public IPEndPoint PodEndpoint => (IPEndPoint)_listener.LocalEndPoint!;

    /// <summary>Listens on 127.0.0.1 in <paramref name="networkNamespace"/> at <paramref name="cache"/>'s port and relays to <paramref name="cache"/>.</summary>
    /// <exception cref="IOException">The namespace cannot be entered.</exception>
    /// <exception cref="SocketException">The port is taken in the pod's namespace.</exception>
    public static NodeCacheRelay Start(string networkNamespace, IPEndPoint cache, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(cache);
        var listener = NetworkNamespace.Listen(networkNamespace, new IPEndPoint(IPAddress.Loopback, cache.Port), Backlog);
        return new NodeCacheRelay(listener, cache, logger);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        await _accepting.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stopping.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(Socket client)
    {
        using (client)
        using (var cache = new Socket(_cache.AddressFamily, SocketType.Stream, ProtocolType.Tcp))
        {
            try
            {
                client.NoDelay = true;
                cache.NoDelay = true;
                await cache.ConnectAsync(_cache, _stopping.Token).ConfigureAwait(false);
                await using var fromGuest = new NetworkStream(client, ownsSocket: false);
                await using var toCache = new NetworkStream(cache, ownsSocket: false);
                var up = PumpAsync(fromGuest, toCache, cache);
                var down = PumpAsync(toCache, fromGuest, client);
                // A direction that fails ends the pair: leaving the usings closes both sockets, which ends the other.
                await (await Task.WhenAny(up, down).ConfigureAwait(false)).ConfigureAwait(false);
                await Task.WhenAll(up, down).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException or ObjectDisposedException)
            {
                // The guest's registry client retries, then falls back to the registry; say why once.
                LogRelayFailed(_logger, _cache.ToString(), ex.Message);
            }
        }
    }

    // One direction; its end is passed on as a half-close so HTTP sees the same stream it would directly.
    private async Task PumpAsync(NetworkStream from, NetworkStream to, Socket toSocket)
    {
        await from.CopyToAsync(to, 128 * 1024, _stopping.Token).ConfigureAwait(false);
        toSocket.Shutdown(SocketShutdown.Send);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "node cache relay to {Cache}: {Error}")]
    private static partial void LogRelayFailed(ILogger logger, string cache, string error);
}
