using Google.Protobuf;
using GuestPull.Api.Ttrpc;
using GuestPull.Ttrpc.Framing;
using GuestPull.Api.Ttrpc.Protocol;
using GuestPull.Ttrpc.Transport;

namespace GuestPull.Ttrpc;

/// <summary>
/// A ttrpc client on one connection. Concurrent calls share the connection, each on its own odd stream id;
/// a background reader hands every response to its call. Unary calls only, as in ttrpc v1.1.
/// </summary>
public sealed class TtrpcClient : ITtrpcChannel
{
    private readonly Stream _stream;
    private readonly FrameReader _reader;
    private readonly FrameWriter _writer;
    private readonly int _maxMessageSize;
    private readonly Dictionary<uint, TaskCompletionSource<Response>> _pending = [];
    private readonly CancellationTokenSource _lifetime = new();
    private readonly Task _readLoop;
    private long _nextStreamId = 1;
    private string? _closeReason;
    private Exception? _closeCause;
    private int _disposed;

    /// <summary>Starts a client on an already connected stream (unix socket, pipe, vsock); the client owns it.</summary>
    /// <param name="stream">A connected, readable and writable stream.</param>
    /// <param name="options">Connection settings, or null for the defaults.</param>
    public TtrpcClient(Stream stream, TtrpcClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        options ??= new TtrpcClientOptions();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.MaxMessageSize, nameof(options.MaxMessageSize));

        _stream = stream;
        _maxMessageSize = options.MaxMessageSize;
        _reader = new FrameReader(stream, _maxMessageSize);
        _writer = new FrameWriter(stream, _maxMessageSize);
        _readLoop = Task.Run(ReadLoopAsync);
    }

    /// <summary>True once the connection is closed, by either side or by disposal.</summary>
    public bool IsClosed => Volatile.Read(ref _closeReason) is not null;

    /// <summary>A task that completes when the connection closes; it never faults.</summary>
    public Task Completion => _readLoop;

    /// <summary>Connects to a ttrpc server listening on a unix socket.</summary>
    /// <param name="address">The socket path, or <c>unix:///path</c>.</param>
    /// <param name="options">Connection settings, or null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the connection attempt.</param>
    /// <exception cref="TtrpcException">The socket cannot be reached (Unavailable).</exception>
    public static async Task<TtrpcClient> ConnectAsync(
        string address, TtrpcClientOptions? options = null, CancellationToken cancellationToken = default)
    {
        var stream = await UnixSocketConnector.ConnectAsync(address, cancellationToken).ConfigureAwait(false);
        return new TtrpcClient(stream, options);
    }

    /// <summary>Calls <paramref name="service"/>/<paramref name="method"/> with a protobuf request and parses the response.</summary>
    /// <typeparam name="TRequest">The request message type.</typeparam>
    /// <typeparam name="TResponse">The response message type.</typeparam>
    /// <param name="service">The full service name, such as <c>containerd.task.v2.Task</c>.</param>
    /// <param name="method">The method name, such as <c>Create</c>.</param>
    /// <param name="request">The request message.</param>
    /// <param name="options">Metadata and deadline, or null for none.</param>
    /// <param name="cancellationToken">Abandons the call; the server is not told, as ttrpc has no cancel frame.</param>
    /// <exception cref="TtrpcException">The server answered with a status other than OK, the deadline passed, or the connection failed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<TResponse> CallAsync<TRequest, TResponse>(
        string service,
        string method,
        TRequest request,
        TtrpcCallOptions? options = null,
        CancellationToken cancellationToken = default)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>, new()
    {
        ArgumentNullException.ThrowIfNull(request);
        var payload = await CallCoreAsync(service, method, request.ToByteArray(), options, cancellationToken).ConfigureAwait(false);
        var response = new TResponse();
        try
        {
            response.MergeFrom(payload.Span);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new TtrpcException(
                TtrpcStatusCode.Internal,
                $"cannot parse the response of {service}/{method} as {response.Descriptor.FullName}: {ex.Message}",
                details: null,
                innerException: ex);
        }

        return response;
    }

    /// <inheritdoc />
    Task<TResponse> ITtrpcChannel.UnaryCallAsync<TRequest, TResponse>(string service, string method, TRequest request, TimeSpan? timeout, CancellationToken cancellationToken) =>
        CallAsync<TRequest, TResponse>(service, method, request, timeout is null ? null : new TtrpcCallOptions { Timeout = timeout }, cancellationToken);

    /// <summary>Calls <paramref name="service"/>/<paramref name="method"/> with an already serialized request.</summary>
    /// <param name="service">The full service name.</param>
    /// <param name="method">The method name.</param>
    /// <param name="payload">The serialized request message.</param>
    /// <param name="options">Metadata and deadline, or null for none.</param>
    /// <param name="cancellationToken">Abandons the call.</param>
    /// <returns>The serialized response message.</returns>
    /// <exception cref="TtrpcException">The server answered with a status other than OK, the deadline passed, or the connection failed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<ReadOnlyMemory<byte>> CallAsync(
        string service,
        string method,
        ReadOnlyMemory<byte> payload,
        TtrpcCallOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var response = await CallCoreAsync(service, method, payload, options, cancellationToken).ConfigureAwait(false);
        return response.Memory;
    }

    /// <summary>Closes the connection; calls still in flight fail with <see cref="TtrpcStatusCode.Unavailable"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        Close("the client was disposed", cause: null);
        await _lifetime.CancelAsync().ConfigureAwait(false);
        await _readLoop.ConfigureAwait(false);
        _lifetime.Dispose();
    }

    private async Task<ByteString> CallCoreAsync(
        string service, string method, ReadOnlyMemory<byte> payload, TtrpcCallOptions? options, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(service);
        ArgumentException.ThrowIfNullOrEmpty(method);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);
        cancellationToken.ThrowIfCancellationRequested();

        var timeout = RemainingTime(options);
        if (timeout is { } expired && expired <= TimeSpan.Zero)
        {
            throw DeadlineExceeded(service, method);
        }

        var request = new Request
        {
            Service = service,
            Method = method,
            // Wrapping avoids copying the payload; the request is serialized before this call returns.
            Payload = UnsafeByteOperations.UnsafeWrap(payload),
            TimeoutNano = timeout is { } t ? ToNanoseconds(t) : 0,
        };
        if (options?.Metadata is { } metadata)
        {
            foreach (var entry in metadata)
            {
                request.Metadata.Add(new KeyValue { Key = entry.Key, Value = entry.Value });
            }
        }

        var streamId = AllocateStreamId();
        var completion = new TaskCompletionSource<Response>(TaskCreationOptions.RunContinuationsAsynchronously);
        Register(streamId, completion);

        using var deadline = CreateDeadlineSource(timeout);
        using var linked = deadline is null
            ? null
            : CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        var token = linked?.Token ?? cancellationToken;

        Response response;
        try
        {
            try
            {
                await _writer.WriteAsync(streamId, FrameType.Request, request, token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or NotSupportedException)
            {
                Close($"writing a request failed: {ex.Message}", ex);
                throw ClosedException();
            }

            response = await completion.Task.WaitAsync(token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && deadline?.IsCancellationRequested == true)
        {
            Unregister(streamId);
            throw DeadlineExceeded(service, method);
        }
        catch
        {
            Unregister(streamId);
            throw;
        }

        var status = response.Status;
        if (status is not null && status.Code != (int)TtrpcStatusCode.OK)
        {
            throw new TtrpcException((TtrpcStatusCode)status.Code, status.Message, status.Details.ToList(), innerException: null);
        }

        return response.Payload;
    }

    private static TimeSpan? RemainingTime(TtrpcCallOptions? options)
    {
        if (options is null)
        {
            return null;
        }

        TimeSpan? remaining = options.Timeout;
        if (options.Deadline is { } deadline)
        {
            var untilDeadline = deadline - DateTimeOffset.UtcNow;
            if (remaining is null || untilDeadline < remaining)
            {
                remaining = untilDeadline;
            }
        }

        return remaining;
    }

    private static long ToNanoseconds(TimeSpan timeout) =>
        timeout.Ticks > long.MaxValue / TimeSpan.NanosecondsPerTick ? long.MaxValue : timeout.Ticks * TimeSpan.NanosecondsPerTick;

    private static CancellationTokenSource? CreateDeadlineSource(TimeSpan? timeout)
    {
        // Timers cannot run past ~49 days; such a deadline is only sent, not enforced locally.
        if (timeout is not { } value || value.TotalMilliseconds >= uint.MaxValue - 1)
        {
            return null;
        }

        return new CancellationTokenSource(value);
    }

    private static TtrpcException DeadlineExceeded(string service, string method) =>
        new(TtrpcStatusCode.DeadlineExceeded, $"deadline exceeded calling {service}/{method}");

    private uint AllocateStreamId()
    {
        var id = Interlocked.Add(ref _nextStreamId, 2) - 2;
        if (id > uint.MaxValue)
        {
            throw new TtrpcException(
                TtrpcStatusCode.ResourceExhausted,
                "all stream ids of this connection are used; open a new connection");
        }

        return (uint)id;
    }

    private void Register(uint streamId, TaskCompletionSource<Response> completion)
    {
        lock (_pending)
        {
            if (_closeReason is not null)
            {
                throw ClosedException();
            }

            _pending.Add(streamId, completion);
        }
    }

    private void Unregister(uint streamId)
    {
        lock (_pending)
        {
            _pending.Remove(streamId);
        }
    }

    private TaskCompletionSource<Response>? TakePending(uint streamId)
    {
        lock (_pending)
        {
            return _pending.Remove(streamId, out var completion) ? completion : null;
        }
    }

    private TtrpcException ClosedException()
    {
        string reason;
        Exception? cause;
        lock (_pending)
        {
            reason = _closeReason ?? "the connection is closed";
            cause = _closeCause;
        }

        return new TtrpcException(TtrpcStatusCode.Unavailable, $"ttrpc connection closed: {reason}", details: null, cause);
    }

    // Fails every call in flight and refuses new ones; the first reason given wins.
    private void Close(string reason, Exception? cause)
    {
        List<TaskCompletionSource<Response>> orphans;
        lock (_pending)
        {
            if (_closeReason is not null)
            {
                return;
            }

            _closeCause = cause;
            Volatile.Write(ref _closeReason, reason);
            orphans = [.. _pending.Values];
            _pending.Clear();
        }

        foreach (var orphan in orphans)
        {
            orphan.TrySetException(ClosedException());
        }

        // Unblocks a reader or writer stuck on the stream.
        _stream.Dispose();
    }

    private async Task ReadLoopAsync()
    {
        try
        {
            while (true)
            {
                var next = await _reader.ReadAsync(_lifetime.Token).ConfigureAwait(false);
                if (next is null)
                {
                    Close("the server closed the connection", cause: null);
                    return;
                }

                var frame = next.Value;
                try
                {
                    Dispatch(frame);
                }
                finally
                {
                    frame.Dispose();
                }
            }
        }
        catch (Exception ex)
        {
            // After disposal or a write failure the stream is gone; Close keeps the first reason.
            Close($"reading from the server failed: {ex.Message}", ex);
        }
        finally
        {
            // The loop was the reader's only user: its buffer goes back to the pool.
            _reader.Dispose();
        }
    }

    private void Dispatch(Frame frame)
    {
        // Data frames and unknown types belong to newer protocol versions; upstream ignores them too.
        if (frame.Header.Type != FrameType.Response)
        {
            return;
        }

        // A missing entry is a response to a call that already timed out or was cancelled.
        var completion = TakePending(frame.Header.StreamId);
        if (completion is null)
        {
            return;
        }

        if (frame.IsOversized)
        {
            completion.TrySetException(new TtrpcException(
                TtrpcStatusCode.ResourceExhausted,
                $"message length {frame.Header.Length} exceeds the maximum message size of {_maxMessageSize}"));
            return;
        }

        try
        {
            completion.TrySetResult(Response.Parser.ParseFrom(frame.Payload));
        }
        catch (InvalidProtocolBufferException ex)
        {
            completion.TrySetException(new TtrpcException(
                TtrpcStatusCode.Internal,
                $"the server sent a response that is not a ttrpc Response message: {ex.Message}",
                details: null,
                innerException: ex));
        }
    }
}
