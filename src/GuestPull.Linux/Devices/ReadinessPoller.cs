using GuestPull.Linux.Interop;

namespace GuestPull.Linux.Devices;

/// <summary>
/// Waits for a <see cref="SerialPortStream"/> to become readable on a dedicated thread, one read at a time
/// (a stream has one reader), and completes the reader's task with the <c>poll</c> events.
/// </summary>
internal sealed class ReadinessPoller : IDisposable
{
    private const int SliceMilliseconds = 100;

    private readonly SerialPortStream _port;
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _requested = new(0);
    private TaskCompletionSource<short>? _waiter;
    private Thread? _thread;
    private volatile bool _disposed;

    public ReadinessPoller(SerialPortStream port) => _port = port;

    public async Task<short> WaitReadableAsync(CancellationToken cancellationToken)
    {
        var waiter = new TaskCompletionSource<short>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, _port);
            if (_waiter is { Task.IsCompleted: false })
            {
                throw new InvalidOperationException($"{_port.Path} already has a pending read");
            }

            _waiter = waiter;
            if (_thread is null)
            {
                _thread = new Thread(Run) { IsBackground = true, Name = "serial port poll" };
                _thread.Start();
            }
        }

        _requested.Release();
        await using (cancellationToken.Register(() => waiter.TrySetCanceled(cancellationToken)).ConfigureAwait(false))
        {
            return await waiter.Task.ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        TaskCompletionSource<short>? waiter;
        lock (_gate)
        {
            _disposed = true;
            waiter = _waiter;
            _waiter = null;
        }

        waiter?.TrySetException(new ObjectDisposedException(nameof(SerialPortStream)));
        _requested.Release();
    }

    private void Run()
    {
        while (!_disposed)
        {
            _requested.Wait();
            TaskCompletionSource<short>? waiter;
            lock (_gate)
            {
                waiter = _waiter;
            }

            while (waiter is { Task.IsCompleted: false } && !_disposed)
            {
                short events;
                try
                {
                    events = _port.PollOnce(LibC.PollIn, SliceMilliseconds);
                }
                catch (Exception ex) when (ex is ObjectDisposedException or IOException)
                {
                    waiter.TrySetException(ex);
                    return;
                }

                if (events != 0)
                {
                    waiter.TrySetResult(events);
                }
            }
        }
    }
}
