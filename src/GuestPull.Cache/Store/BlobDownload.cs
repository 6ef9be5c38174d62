using System.Buffers;
using GuestPull.Oci.Model;
using Microsoft.Win32.SafeHandles;

namespace GuestPull.Cache.Store;

/// <summary>
/// One upstream fetch of a blob into a temporary file that every client asking for the blob reads
/// while it grows: the first client and late joiners alike, so one fetch serves them all. The file
/// becomes a cache entry only once the upstream stream has verified the blob's size and digest.
/// </summary>
internal sealed class BlobDownload
{
    private const int ChunkSize = 256 * 1024;

    private readonly TaskCompletionSource<long> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();
    private TaskCompletionSource _progress = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private string _path;
    private long _written;
    private Exception? _failure;

    public BlobDownload(Digest digest, string temporaryPath)
    {
        Digest = digest;
        _path = temporaryPath;
        TemporaryPath = temporaryPath;
    }

    public Digest Digest { get; }

    public string TemporaryPath { get; }

    /// <summary>Completes with the blob's size once the upstream answered, or fails with its error.</summary>
    public Task<long> Started => _started.Task;

    /// <summary>Completes when the blob is an entry, or fails with the reason it is not.</summary>
    public Task Finished => _finished.Task;

    /// <summary>
    /// Copies <paramref name="upstream"/> (a verifying stream: it throws at its end unless size and
    /// digest match) into the temporary file, waking readers after each chunk.
    /// </summary>
    public async Task FetchAsync(Stream upstream, Action<long> onBytes, CancellationToken cancellationToken)
    {
        await using var file = new FileStream(TemporaryPath, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.ReadWrite | FileShare.Delete,
            BufferSize = 0,
            Options = FileOptions.Asynchronous,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        _started.TrySetResult(upstream.Length);
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        try
        {
            int read;
            while ((read = await upstream.ReadAsync(buffer.AsMemory(0, ChunkSize), cancellationToken).ConfigureAwait(false)) > 0)
            {
                await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                Volatile.Write(ref _written, _written + read);
                onBytes(read);
                Interlocked.Exchange(ref _progress, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
            }

            // The entry must be on disk before its name says it is complete.
            await Task.Run(() => file.Flush(flushToDisk: true), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Fails the download before or after it started: readers get <paramref name="failure"/>.</summary>
    public void Fail(Exception failure)
    {
        lock (_gate)
        {
            _failure = failure;
        }

        _started.TrySetException(failure);
        _finished.TrySetException(failure);
        Interlocked.Exchange(ref _progress, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    /// <summary>Moves the verified file to <paramref name="entryPath"/>; readers holding it open keep reading the same file.</summary>
    public void Commit(string entryPath)
    {
        lock (_gate)
        {
            File.Move(TemporaryPath, entryPath, overwrite: true);
            _path = entryPath;
        }
    }

    /// <summary>Marks the entry complete for readers waiting on more bytes.</summary>
    public void Complete()
    {
        _finished.TrySetResult();
        Interlocked.Exchange(ref _progress, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    /// <summary>Opens the file for reading wherever it is now (temporary or committed).</summary>
    /// <exception cref="Exception">The download failed (its error).</exception>
    public SafeFileHandle OpenReader()
    {
        lock (_gate)
        {
            if (_failure is not null)
            {
                throw _failure;
            }

            return File.OpenHandle(_path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, FileOptions.Asynchronous);
        }
    }

    /// <summary>
    /// Writes bytes [<paramref name="offset"/>, <paramref name="offset"/> + <paramref name="count"/>)
    /// to <paramref name="destination"/> as they arrive, waiting for the fetch when it is behind.
    /// Throws the fetch's error if it fails before the range is complete.
    /// </summary>
    public async Task CopyToAsync(SafeFileHandle file, Stream destination, long offset, long count, Action<long> onBytes, CancellationToken cancellationToken)
    {
        var end = offset + count;
        var position = offset;
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        try
        {
            while (position < end)
            {
                // Take the wake-up signal before reading the count: a chunk landing in between still wakes us.
                var progress = Volatile.Read(ref _progress).Task;
                var available = Math.Min(Volatile.Read(ref _written), end) - position;
                if (available > 0)
                {
                    var read = await RandomAccess.ReadAsync(file, buffer.AsMemory(0, (int)Math.Min(available, ChunkSize)), position, cancellationToken).ConfigureAwait(false);
                    if (read == 0)
                    {
                        throw new IOException($"blob {Digest}: the cached file ended at byte {position}");
                    }

                    await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                    onBytes(read);
                    position += read;
                    continue;
                }

                if (_finished.Task.IsCompleted)
                {
                    await _finished.Task.ConfigureAwait(false);
                    if (Volatile.Read(ref _written) < end)
                    {
                        throw new IOException($"blob {Digest}: the upstream ended at byte {Volatile.Read(ref _written)}, before byte {end}");
                    }

                    continue;
                }

                await progress.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
