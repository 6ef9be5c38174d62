using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace GuestPull.Shim.Logging;

/// <summary>A non-blocking append-only destination for log lines: a fifo (opened O_NONBLOCK) or a regular file.</summary>
internal sealed partial class LogSink : IDisposable
{
    private const int OpenWriteOnly = 0x1;
    private const int OpenCreate = 0x40;
    private const int OpenAppend = 0x400;
    private const int OpenNonBlock = 0x800;
    private const int OpenCloseOnExec = 0x80000;

    private readonly Lock _gate = new();
    private readonly FileStream? _stream;

    private LogSink(FileStream? stream) => _stream = stream;

    /// <summary>A sink that drops everything.</summary>
    public static LogSink None { get; } = new(null);

    /// <summary>Opens <paramref name="path"/> for appending without ever blocking; a fifo without a reader yields a sink that drops lines.</summary>
    public static LogSink Open(string path)
    {
        var fd = OpenNative(path, OpenWriteOnly | OpenCreate | OpenAppend | OpenNonBlock | OpenCloseOnExec, 0x180);
        if (fd < 0)
        {
            return None;
        }

        var handle = new SafeFileHandle(fd, ownsHandle: true);
        return new LogSink(new FileStream(handle, FileAccess.Write, 1));
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

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int OpenNative(string path, int flags, int mode);
}
