using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace GuestPull.Bench.Cache;

/// <summary>
/// A TCP proxy on 127.0.0.1 in front of the registry that lets the registry's answers through at a fixed
/// rate shared by all connections (the node's link to a remote registry) and counts every byte the
/// registry sent.
/// </summary>
internal sealed class ThrottledProxy : IAsyncDisposable
{
    private const int ChunkSize = 16 * 1024;
    private readonly TcpListener _listener;
    private readonly IPEndPoint _upstream;
    private readonly double _bytesPerSecond;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _gate = new();
    private readonly List<Task> _connections = [];
    private readonly Task _acceptLoop;
    private long _nextFree = Stopwatch.GetTimestamp();
    private long _upstreamBytes;

    public ThrottledProxy(IPEndPoint upstream, double megabitsPerSecond)
    {
        _upstream = upstream;
        _bytesPerSecond = megabitsPerSecond * 1_000_000 / 8;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Host = $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";
        _acceptLoop = AcceptAsync();
    }

    /// <summary>"127.0.0.1:PORT" of the proxy: the registry's name for the clients.</summary>
    public string Host { get; }

    /// <summary>Bytes the registry sent through the proxy so far.</summary>
    public long UpstreamBytes => Interlocked.Read(ref _upstreamBytes);

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        Task[] connections;
        lock (_gate)
        {
            connections = [.. _connections];
        }

        try
        {
            await Task.WhenAll([_acceptLoop, .. connections]).WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or IOException or ObjectDisposedException or TimeoutException)
        {
            // Stopping: connections end however they end.
        }

        _stopping.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stopping.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            var connection = ServeAsync(client);
            lock (_gate)
            {
                _connections.RemoveAll(t => t.IsCompleted);
                _connections.Add(connection);
            }
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        using (var upstream = new TcpClient())
        {
            try
            {
                await upstream.ConnectAsync(_upstream, _stopping.Token);
                using var both = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
                var toUpstream = PumpAsync(client.GetStream(), upstream.GetStream(), throttle: false, both.Token);
                var toClient = PumpAsync(upstream.GetStream(), client.GetStream(), throttle: true, both.Token);
                await Task.WhenAny(toUpstream, toClient);
                await both.CancelAsync();
                await Task.WhenAll(toUpstream, toClient).ContinueWith(_ => { }, TaskScheduler.Default);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or IOException)
            {
                // A connection that ends badly is the client's problem to report.
            }
        }
    }

    private async Task PumpAsync(NetworkStream from, NetworkStream to, bool throttle, CancellationToken cancellationToken)
    {
        var buffer = new byte[ChunkSize];
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer, cancellationToken)) > 0)
            {
                if (throttle)
                {
                    Interlocked.Add(ref _upstreamBytes, read);
                    await ThrottleAsync(read, cancellationToken);
                }

                await to.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }

            to.Socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
        {
        }
    }

    // One shared schedule: each chunk reserves its transmission time after the previous one, so the
    // average rate holds across connections even when timers fire late.
    private Task ThrottleAsync(int bytes, CancellationToken cancellationToken)
    {
        long wait;
        lock (_gate)
        {
            var now = Stopwatch.GetTimestamp();
            var start = Math.Max(now, _nextFree);
            _nextFree = start + (long)(bytes / _bytesPerSecond * Stopwatch.Frequency);
            wait = _nextFree - now;
        }

        var delay = TimeSpan.FromSeconds(wait / (double)Stopwatch.Frequency);
        return delay > TimeSpan.FromMilliseconds(2) ? Task.Delay(delay, cancellationToken) : Task.CompletedTask;
    }
}
