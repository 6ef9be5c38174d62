using Google.Protobuf;
using GuestPull.Ttrpc.Framing;
using GuestPull.Api.Ttrpc.Protocol;

namespace GuestPull.Ttrpc.Server;

/// <summary>
/// One accepted connection: a reader loop that starts a task per request, and a shared frame writer
/// for the responses. Ends when the client leaves, the server drains it, the server aborts it, or it
/// stays idle (no call in flight, nothing received) for the idle time-out.
/// </summary>
internal sealed class ServerConnection
{
    private readonly TimeSpan _idleTimeout;
    private readonly Action _onIdleClose;
    private readonly Timer? _idleTimer;
    private long _lastActivity = Environment.TickCount64;
    private readonly Stream _stream;
    private readonly FrameReader _reader;
    private readonly FrameWriter _writer;
    private readonly MethodRegistry _methods;
    private readonly int _maxMessageSize;
    private readonly CancellationTokenSource _lifetime = new();
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();
    private int _active;
    private bool _draining;
    private bool _readerDone;
    private int _streamClosed;

    /// <param name="stream">The connected stream; the connection owns it.</param>
    /// <param name="methods">The handlers.</param>
    /// <param name="maxMessageSize">The largest frame payload.</param>
    /// <param name="idleTimeout">How long the connection may idle before it is closed; infinite for never.</param>
    /// <param name="counted">Whether the server's connection limit applies to it.</param>
    /// <param name="onIdleClose">Called when the idle time-out closes the connection.</param>
    public ServerConnection(Stream stream, MethodRegistry methods, int maxMessageSize, TimeSpan idleTimeout, bool counted, Action onIdleClose)
    {
        _stream = stream;
        _methods = methods;
        _maxMessageSize = maxMessageSize;
        _idleTimeout = idleTimeout;
        _onIdleClose = onIdleClose;
        Counted = counted;
        _reader = new FrameReader(stream, maxMessageSize);
        _writer = new FrameWriter(stream, maxMessageSize);
        if (idleTimeout != Timeout.InfiniteTimeSpan)
        {
            _idleTimer = new Timer(static state => ((ServerConnection)state!).OnIdleTimer(), this, Timeout.Infinite, Timeout.Infinite);
        }
    }

    /// <summary>Completes once the reader has stopped and every handler has returned.</summary>
    public Task Completion => _finished.Task;

    /// <summary>Whether the server's connection limit applies to this connection.</summary>
    public bool Counted { get; }

    public void Start()
    {
        _idleTimer?.Change(_idleTimeout, Timeout.InfiniteTimeSpan);
        _ = Task.Run(RunAsync);
    }

    /// <summary>Refuses new requests and closes the connection once the calls in flight have answered.</summary>
    public void BeginDrain()
    {
        bool idle;
        lock (_gate)
        {
            _draining = true;
            idle = _active == 0;
        }

        if (idle)
        {
            CloseStream();
        }
    }

    /// <summary>Cancels every handler and closes the connection now.</summary>
    public void Abort()
    {
        CancelLifetime();
        CloseStream();
    }

    private async Task RunAsync()
    {
        try
        {
            while (true)
            {
                var next = await _reader.ReadAsync(_lifetime.Token).ConfigureAwait(false);
                if (next is null)
                {
                    break;
                }

                var frame = next.Value;
                Volatile.Write(ref _lastActivity, Environment.TickCount64);
                try
                {
                    await AcceptFrameAsync(frame).ConfigureAwait(false);
                }
                finally
                {
                    frame.Dispose();
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The client went away, sent a truncated frame, or the server closed the stream: all end the connection.
        }
        finally
        {
            // As upstream: once the client is gone, handlers still running are cancelled.
            CancelLifetime();
            CloseStream();
            if (_idleTimer is not null)
            {
                await _idleTimer.DisposeAsync().ConfigureAwait(false);
            }

            // No read is pending any more: the connection buffer goes back to the pool now, not
            // whenever the collector finds this object.
            _reader.Dispose();
            bool idle;
            lock (_gate)
            {
                _readerDone = true;
                idle = _active == 0;
            }

            if (idle)
            {
                _finished.TrySetResult();
            }
        }
    }

    private async ValueTask AcceptFrameAsync(Frame frame)
    {
        var streamId = frame.Header.StreamId;
        if (frame.IsOversized)
        {
            // Upstream skips the frame and answers on its stream id, whatever its type; the connection lives on.
            await SendStatusAsync(streamId, TtrpcStatusCode.ResourceExhausted,
                $"message length {frame.Header.Length} exceeds the maximum message size of {_maxMessageSize}").ConfigureAwait(false);
            return;
        }

        // Other types belong to newer protocol versions; upstream ignores them for compatibility.
        if (frame.Header.Type != FrameType.Request)
        {
            return;
        }

        Request request;
        try
        {
            request = Request.Parser.ParseFrom(frame.Payload);
        }
        catch (InvalidProtocolBufferException ex)
        {
            await SendStatusAsync(streamId, TtrpcStatusCode.InvalidArgument, $"unmarshal request error: {ex.Message}").ConfigureAwait(false);
            return;
        }

        if (streamId % 2 != 1)
        {
            await SendStatusAsync(streamId, TtrpcStatusCode.InvalidArgument, "StreamID must be odd for client initiated streams").ConfigureAwait(false);
            return;
        }

        bool refused;
        lock (_gate)
        {
            refused = _draining;
            if (!refused)
            {
                _active++;
            }
        }

        if (refused)
        {
            await SendStatusAsync(streamId, TtrpcStatusCode.Unavailable, "the server is shutting down").ConfigureAwait(false);
            return;
        }

        _ = Task.Run(() => HandleAsync(streamId, request));
    }

    private async Task HandleAsync(uint streamId, Request request)
    {
        try
        {
            var response = await InvokeAsync(streamId, request).ConfigureAwait(false);
            try
            {
                await _writer.WriteAsync(streamId, FrameType.Response, response, CancellationToken.None).ConfigureAwait(false);
            }
            catch (TtrpcException tooLarge)
            {
                await SendStatusAsync(streamId, tooLarge.StatusCode, $"response {tooLarge.StatusMessage}").ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or NotSupportedException)
        {
            // The client left before its answer could be written; nothing is waiting for it.
        }
        finally
        {
            OnHandlerFinished();
        }
    }

    private async Task<Response> InvokeAsync(uint streamId, Request request)
    {
        var metadata = new TtrpcMetadata();
        foreach (var entry in request.Metadata)
        {
            metadata.AddReceived(entry.Key, entry.Value);
        }

        var deadline = ToDeadline(request.TimeoutNano);
        using var deadlineSource = CreateDeadlineSource(request.TimeoutNano);
        using var linked = deadlineSource is null
            ? null
            : CancellationTokenSource.CreateLinkedTokenSource(_lifetime.Token, deadlineSource.Token);
        var token = linked?.Token ?? _lifetime.Token;

        var context = new TtrpcRequestContext(request.Service, request.Method, streamId, metadata, deadline);
        try
        {
            var handler = _methods.Resolve(request.Service, request.Method);
            var payload = await handler(context, request.Payload.Memory, token).ConfigureAwait(false);

            // Upstream always sends a status, OK included.
            return new Response
            {
                Status = ExceptionStatusMapper.Create(TtrpcStatusCode.OK, string.Empty),
                Payload = UnsafeByteOperations.UnsafeWrap(payload),
            };
        }
        catch (Exception ex)
        {
            var status = ExceptionStatusMapper.ToStatus(
                ex,
                deadlineExpired: deadlineSource?.IsCancellationRequested == true,
                connectionEnding: _lifetime.IsCancellationRequested);
            return new Response { Status = status };
        }
    }

    private static DateTimeOffset? ToDeadline(long timeoutNano)
    {
        if (timeoutNano == 0)
        {
            return null;
        }

        var now = DateTimeOffset.UtcNow;
        var ticks = timeoutNano / TimeSpan.NanosecondsPerTick;
        return ticks >= (DateTimeOffset.MaxValue - now).Ticks ? DateTimeOffset.MaxValue : now.AddTicks(ticks);
    }

    // A negative timeout is already expired, as in Go's context.WithTimeout; a huge one is not timed.
    private static CancellationTokenSource? CreateDeadlineSource(long timeoutNano)
    {
        if (timeoutNano == 0)
        {
            return null;
        }

        var timeout = TimeSpan.FromTicks(Math.Max(0, timeoutNano / TimeSpan.NanosecondsPerTick));
        if (timeout.TotalMilliseconds >= uint.MaxValue - 1)
        {
            return null;
        }

        return new CancellationTokenSource(timeout);
    }

    private async ValueTask SendStatusAsync(uint streamId, TtrpcStatusCode code, string message)
    {
        var response = new Response { Status = ExceptionStatusMapper.Create(code, message) };
        try
        {
            await _writer.WriteAsync(streamId, FrameType.Response, response, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or NotSupportedException)
        {
            // The peer is gone; the reader loop notices on its next read.
        }
    }

    // Closes the connection if nothing is in flight and nothing arrived for the idle time-out;
    // otherwise waits for the rest of the time-out from the last activity.
    private void OnIdleTimer()
    {
        TimeSpan wait;
        lock (_gate)
        {
            if (_readerDone || _draining)
            {
                return;
            }

            var idleFor = TimeSpan.FromMilliseconds(Environment.TickCount64 - Volatile.Read(ref _lastActivity));
            wait = _active > 0 ? _idleTimeout : _idleTimeout - idleFor;
        }

        if (wait > TimeSpan.Zero)
        {
            try
            {
                _idleTimer!.Change(wait, Timeout.InfiniteTimeSpan);
            }
            catch (ObjectDisposedException)
            {
                // The connection ended meanwhile.
            }

            return;
        }

        _onIdleClose();
        CancelLifetime();
        CloseStream();
    }

    private void OnHandlerFinished()
    {
        Volatile.Write(ref _lastActivity, Environment.TickCount64);
        bool closeNow;
        bool finished;
        lock (_gate)
        {
            _active--;
            closeNow = _active == 0 && _draining;
            finished = _active == 0 && _readerDone;
        }

        if (closeNow)
        {
            CloseStream();
        }

        if (finished)
        {
            _finished.TrySetResult();
        }
    }

    private void CancelLifetime()
    {
        try
        {
            _lifetime.Cancel();
        }
        catch (AggregateException)
        {
            // A handler's cancellation callback threw; the handler's own task reports it.
        }
    }

    private void CloseStream()
    {
        if (Interlocked.Exchange(ref _streamClosed, 1) == 0)
        {
            _stream.Dispose();
        }
    }
}
