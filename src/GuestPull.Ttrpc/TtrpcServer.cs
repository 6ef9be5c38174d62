using System.Net.Sockets;
using Google.Protobuf;
using GuestPull.Linux;
using GuestPull.Linux.Devices;
using GuestPull.Ttrpc.Server;
using GuestPull.Ttrpc.Transport;

namespace GuestPull.Ttrpc;

/// <summary>
/// A ttrpc server: unary methods registered by service and method name, served on unix sockets,
/// virtio-serial ports or connected streams. Every request runs concurrently with the others on its connection.
/// </summary>
public sealed class TtrpcServer : IAsyncDisposable
{
    private const string SerialScheme = "serial://";

    private readonly TtrpcServerOptions _options;
    private readonly MethodRegistry _methods = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _gate = new();
    private readonly HashSet<ServerConnection> _connections = [];
    private readonly List<UnixSocketListener> _listeners = [];
    private readonly List<Task> _acceptLoops = [];
    private Task? _shutdown;
    private long _refused;
    private long _idleClosed;

    /// <summary>Creates a server with no methods and no listeners.</summary>
    /// <param name="options">Server settings, or null for the defaults.</param>
    public TtrpcServer(TtrpcServerOptions? options = null)
    {
        _options = options ?? new TtrpcServerOptions();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(_options.MaxMessageSize, nameof(_options.MaxMessageSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.ShutdownTimeout, TimeSpan.Zero, nameof(_options.ShutdownTimeout));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(_options.MaxConnections, nameof(_options.MaxConnections));
        if (_options.IdleTimeout != Timeout.InfiniteTimeSpan)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(_options.IdleTimeout, TimeSpan.Zero, nameof(_options.IdleTimeout));
        }
    }

    /// <summary>How many connections were closed at once because <see cref="TtrpcServerOptions.MaxConnections"/> were open.</summary>
    public long RefusedConnectionCount => Interlocked.Read(ref _refused);

    /// <summary>How many connections were closed for having been idle for <see cref="TtrpcServerOptions.IdleTimeout"/>.</summary>
    public long IdleClosedCount => Interlocked.Read(ref _idleClosed);

    /// <summary>The number of open connections.</summary>
    public int ConnectionCount
    {
        get
        {
            lock (_gate)
            {
                return _connections.Count;
            }
        }
    }

    /// <summary>Registers a handler working on serialized messages.</summary>
    /// <param name="service">The full service name, such as <c>containerd.task.v2.Task</c>.</param>
    /// <param name="method">The method name.</param>
    /// <param name="handler">The handler.</param>
    /// <exception cref="InvalidOperationException">The method is already registered.</exception>
    public void Register(string service, string method, TtrpcMethodHandler handler) => _methods.Add(service, method, handler);

    /// <summary>Registers a handler working on parsed protobuf messages.</summary>
    /// <typeparam name="TRequest">The request message type.</typeparam>
    /// <typeparam name="TResponse">The response message type.</typeparam>
    /// <param name="service">The full service name.</param>
    /// <param name="method">The method name.</param>
    /// <param name="requestParser">Parses the request, usually <c>TRequest.Parser</c>.</param>
    /// <param name="handler">The handler.</param>
    /// <exception cref="InvalidOperationException">The method is already registered.</exception>
    public void Register<TRequest, TResponse>(
        string service,
        string method,
        MessageParser<TRequest> requestParser,
        Func<TtrpcRequestContext, TRequest, CancellationToken, Task<TResponse>> handler)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(requestParser);
        ArgumentNullException.ThrowIfNull(handler);

        _methods.Add(service, method, async (context, payload, cancellationToken) =>
        {
            var request = requestParser.ParseFrom(payload.Span);
            var response = await handler(context, request, cancellationToken).ConfigureAwait(false)
                ?? throw new TtrpcException(TtrpcStatusCode.Internal, $"the handler of {service}/{method} returned no response");
            return response.ToByteArray();
        });
    }

    /// <summary>
    /// Listens on a unix socket, replacing a stale socket file, with mode 0600. Returns once the socket
    /// accepts connections; they are served in the background until <see cref="ShutdownAsync"/>.
    /// </summary>
    /// <param name="address">The socket path, or <c>unix:///path</c>.</param>
    /// <exception cref="IOException">The path is in use by a live server or is not a socket.</exception>
    public void ListenUnixSocket(string address)
    {
        ObjectDisposedException.ThrowIf(_stopping.IsCancellationRequested, this);
        var listener = UnixSocketListener.Bind(address);
        lock (_gate)
        {
            if (_shutdown is not null)
            {
                listener.Dispose();
                throw new ObjectDisposedException(nameof(TtrpcServer), "The server is shutting down.");
            }

            _listeners.Add(listener);
            _acceptLoops.Add(Task.Run(() => AcceptLoopAsync(listener)));
        }
    }

    /// <summary>
    /// Listens on <paramref name="address"/>: <c>serial:///dev/...</c> is a virtio-serial port
    /// (<see cref="ListenSerialPort"/>); <c>unix:///path</c> or a plain path a unix socket
    /// (<see cref="ListenUnixSocket"/>).
    /// </summary>
    /// <param name="address">The address.</param>
    public void Listen(string address)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(address);
        if (address.StartsWith(SerialScheme, StringComparison.Ordinal))
        {
            ListenSerialPort(address);
        }
        else
        {
            ListenUnixSocket(address);
        }
    }

    /// <summary>
    /// Serves a virtio-serial port (<c>/dev/virtio-ports/NAME</c> or <c>/dev/vportNpM</c>): one byte stream
    /// to the host and no accept, so it is one connection at a time. The connection starts when a host is
    /// connected to the port and ends when it hangs up; the port is then closed (which drops whatever
    /// the old host left unread) and opened again for the next host. Returns once the port is open.
    /// </summary>
    /// <param name="address">The device path, or <c>serial:///path</c>.</param>
    /// <exception cref="NativeCallException">The port cannot be opened (missing, or open elsewhere).</exception>
    public void ListenSerialPort(string address)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(address);
        ObjectDisposedException.ThrowIf(_stopping.IsCancellationRequested, this);
        var path = address.StartsWith(SerialScheme, StringComparison.Ordinal) ? address[(SerialScheme.Length - 1)..] : address;

        // Opened here so a wrong path fails the caller, as binding a unix socket does.
        var port = SerialPortStream.Open(path);
        lock (_gate)
        {
            if (_shutdown is not null)
            {
                port.Dispose();
                throw new ObjectDisposedException(nameof(TtrpcServer), "The server is shutting down.");
            }

            _acceptLoops.Add(Task.Run(() => SerialPortLoopAsync(port)));
        }
    }

    /// <summary>Serves one connected stream (a vsock or pipe, for instance) until it closes; the server owns it.</summary>
    /// <param name="stream">A connected, readable and writable stream.</param>
    /// <param name="cancellationToken">Aborts the connection, cancelling its handlers.</param>
    public async Task ServeAsync(Stream stream, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var (connection, refused) = TryAddConnection(stream, counted: true);
        if (connection is null)
        {
            throw refused
                ? new IOException($"The server already serves {_options.MaxConnections} connections, its limit; the stream was closed.")
                : new ObjectDisposedException(nameof(TtrpcServer), "The server is shutting down.");
        }

        await using (cancellationToken.Register(connection.Abort).ConfigureAwait(false))
        {
            await connection.Completion.ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Stops accepting connections and requests, lets the calls in flight finish for up to
    /// <see cref="TtrpcServerOptions.ShutdownTimeout"/>, then aborts what is left and closes every connection.
    /// </summary>
    /// <param name="cancellationToken">Ends the grace period early.</param>
    public Task ShutdownAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            _shutdown ??= ShutdownCoreAsync(cancellationToken);
            return _shutdown;
        }
    }

    /// <summary>Shuts down without a grace period.</summary>
    public async ValueTask DisposeAsync()
    {
        using var expired = new CancellationTokenSource();
        await expired.CancelAsync().ConfigureAwait(false);
        await ShutdownAsync(expired.Token).ConfigureAwait(false);
    }

    private async Task ShutdownCoreAsync(CancellationToken cancellationToken)
    {
        // Called under _gate: yield first so the lock is not held across the work.
        await Task.Yield();
        await _stopping.CancelAsync().ConfigureAwait(false);

        ServerConnection[] connections;
        lock (_gate)
        {
            foreach (var listener in _listeners)
            {
                listener.Dispose();
            }

            connections = [.. _connections];
        }

        await Task.WhenAll(_acceptLoops).ConfigureAwait(false);

        foreach (var connection in connections)
        {
            connection.BeginDrain();
        }

        var drained = Task.WhenAll(connections.Select(connection => connection.Completion));
        using var grace = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        grace.CancelAfter(_options.ShutdownTimeout);
        try
        {
            await drained.WaitAsync(grace.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Handlers that outlive the grace period are cancelled; the server does not wait for them.
            foreach (var connection in connections)
            {
                connection.Abort();
            }
        }

        // Drained connections are forgotten now rather than by their own continuations, so
        // ConnectionCount is settled when shutdown returns.
        lock (_gate)
        {
            foreach (var connection in connections.Where(connection => connection.Completion.IsCompleted))
            {
                _connections.Remove(connection);
            }
        }
    }

    private async Task AcceptLoopAsync(UnixSocketListener listener)
    {
        var backoff = TimeSpan.Zero;
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.Socket.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException || _stopping.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException)
            {
                // Out of descriptors and the like: back off as upstream does rather than spin.
                backoff = backoff == TimeSpan.Zero ? TimeSpan.FromMilliseconds(5) : TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.TicksPerSecond));
                try
                {
                    await Task.Delay(backoff, _stopping.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            backoff = TimeSpan.Zero;
            var (connection, refused) = TryAddConnection(new NetworkStream(socket, ownsSocket: true), counted: true);
            if (connection is null && !refused)
            {
                return;
            }
        }
    }

    private async Task SerialPortLoopAsync(SerialPortStream port)
    {
        var path = port.Path;
        while (true)
        {
            try
            {
                await port.WaitForPeerAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                await port.DisposeAsync().ConfigureAwait(false);
                return;
            }

            // The connection owns the port from here and closes it when it ends.
            var (connection, _) = TryAddConnection(port, counted: false);
            if (connection is null)
            {
                return;
            }

            try
            {
                await connection.Completion.WaitAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Shutting down: the shutdown drains this connection like any other.
                return;
            }

            var reopened = await ReopenSerialPortAsync(path).ConfigureAwait(false);
            if (reopened is null)
            {
                return;
            }

            port = reopened;
        }
    }

    private async Task<SerialPortStream?> ReopenSerialPortAsync(string path)
    {
        var backoff = TimeSpan.FromMilliseconds(10);
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                return SerialPortStream.Open(path);
            }
            catch (NativeCallException)
            {
                // EBUSY until the old descriptor is closed; the device may also be going away with the VM.
                try
                {
                    await Task.Delay(backoff, _stopping.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return null;
                }

                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.TicksPerSecond));
            }
        }

        return null;
    }

    // Null when shutting down, or (refused = true) when the connection limit is reached; either way the
    // stream is closed. A counted connection is one the limit applies to.
    private (ServerConnection? Connection, bool Refused) TryAddConnection(Stream stream, bool counted)
    {
        // Nothing is allocated per connection until it starts reading, so a refused one costs little.
        // The bounds are for clients that come and go; a virtio-serial port is the host's one link.
        var idleTimeout = counted ? _options.IdleTimeout : Timeout.InfiniteTimeSpan;
        var connection = new ServerConnection(stream, _methods, _options.MaxMessageSize, idleTimeout, counted, () => Interlocked.Increment(ref _idleClosed));
        lock (_gate)
        {
            if (_stopping.IsCancellationRequested)
            {
                stream.Dispose();
                return (null, false);
            }

            if (counted && _connections.Count(c => c.Counted) >= _options.MaxConnections)
            {
                Interlocked.Increment(ref _refused);
                stream.Dispose();
                return (null, true);
            }

            _connections.Add(connection);
        }

        connection.Start();
        _ = RemoveWhenFinishedAsync(connection);
        return (connection, false);
    }

    private async Task RemoveWhenFinishedAsync(ServerConnection connection)
    {
        await connection.Completion.ConfigureAwait(false);
        lock (_gate)
        {
            _connections.Remove(connection);
        }
    }
}
