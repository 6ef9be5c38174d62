using GuestPull.Linux;

namespace GuestPull.Shim.Logging;

/// <summary>A non-blocking append-only destination for log lines: a fifo (opened O_NONBLOCK) or a regular file.</summary>
internal sealed class LogSink : IDisposable
{
    private const uint CreatedFileMode = 0x180; // 0600

    private readonly Lock _gate = new();
    private readonly FileStream? _stream;

    private LogSink(FileStream? stream) => _stream = stream;

    /// <summary>A sink that drops everything.</summary>
    public static LogSink None { get; } = new(null);

    /// <summary>Opens <paramref name="path"/> for appending without ever blocking; a fifo without a reader yields a sink that drops lines.</summary>
    public static LogSink Open(string path)
    {
        // O_NONBLOCK: opening a fifo for writing without a reader fails (ENXIO) instead of blocking.
        var flags = OpenFlags.WriteOnly | OpenFlags.Create | OpenFlags.Append | OpenFlags.NonBlocking;
        if (FileSystemCalls.TryOpen(path, flags, CreatedFileMode, out var descriptor) != 0)
        {
            return None;
        }

        return new LogSink(new FileStream(descriptor!.TransferToFileHandle(), FileAccess.Write, 1));
    }

    public void Write(byte[] line)
    {
        if (_stream is null)
        {
            return;
        }

        lock (_gate)
        {
            try
            {
                _stream.Write(line);
            }
            catch (IOException)
            {
                // No reader or a full pipe: the line is dropped, the shim goes on.
            }
        }
    }

    public void Dispose() => _stream?.Dispose();
}
