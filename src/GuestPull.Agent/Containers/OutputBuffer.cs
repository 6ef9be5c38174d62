namespace GuestPull.Agent.Containers;

/// <summary>
/// Holds what a process wrote to stdout or stderr until a long-poll read takes it. The pump that
/// fills it waits while it holds <see cref="Capacity"/> bytes, so a process nobody reads from is
/// slowed by its pipe rather than growing the agent's memory.
/// </summary>
internal sealed class OutputBuffer
{
    public const int Capacity = 1024 * 1024;

    private readonly Lock _gate = new();
    private readonly Queue<byte[]> _chunks = new();
    private int _headOffset;
    private int _buffered;
    private bool _ended;
    private TaskCompletionSource _changed = NewSignal();

    /// <summary>Copies <paramref name="source"/> into the buffer until it ends, then marks the end.</summary>
    public async Task PumpAsync(Stream source, CancellationToken cancellationToken)
    {
        var block = new byte[32 * 1024];
        try
        {
            while (true)
            {
                await WaitForSpaceAsync(cancellationToken).ConfigureAwait(false);
                var read = await source.ReadAsync(block, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                Append(block.AsSpan(0, read).ToArray());
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The pipe broke or the agent is stopping: either way nothing more will come.
        }
        finally
        {
            End();
        }
    }

    /// <summary>Returns up to <paramref name="maxBytes"/> bytes as soon as any exist; empty with eof once the stream ended and was drained.</summary>
    public async Task<(byte[] Data, bool Eof)> ReadAsync(int maxBytes, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (_buffered > 0)
                {
                    return (Take(maxBytes), false);
                }

                if (_ended)
                {
                    return ([], true);
                }

                changed = _changed.Task;
            }

            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private byte[] Take(int maxBytes)
    {
        var result = new byte[Math.Min(maxBytes, _buffered)];
        var filled = 0;
        while (filled < result.Length)
        {
            var head = _chunks.Peek();
            var count = Math.Min(head.Length - _headOffset, result.Length - filled);
            head.AsSpan(_headOffset, count).CopyTo(result.AsSpan(filled));
            filled += count;
            _headOffset += count;
            if (_headOffset == head.Length)
            {
                _chunks.Dequeue();
                _headOffset = 0;
            }
        }

        _buffered -= result.Length;
        Signal();
        return result;
    }

    private async Task WaitForSpaceAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (_buffered < Capacity)
                {
                    return;
                }

                changed = _changed.Task;
            }

            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private void Append(byte[] chunk)
    {
        lock (_gate)
        {
            _chunks.Enqueue(chunk);
            _buffered += chunk.Length;
            Signal();
        }
    }

    private void End()
    {
        lock (_gate)
        {
            _ended = true;
            Signal();
        }
    }

    /// <summary>Wakes every waiter; called under the lock.</summary>
    private void Signal()
    {
        var previous = _changed;
        _changed = NewSignal();
        previous.TrySetResult();
    }
}
