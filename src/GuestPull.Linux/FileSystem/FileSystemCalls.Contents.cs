using System.Runtime.InteropServices;
using System.Text;
using GuestPull.Linux.Interop;

namespace GuestPull.Linux;

/// <content>Reading and writing file contents and listing directories.</content>
public static unsafe partial class FileSystemCalls
{
    /// <summary>Writes all of <paramref name="data"/> (write(2) in a loop).</summary>
    /// <param name="descriptor">An open descriptor.</param>
    /// <param name="data">The bytes.</param>
    public static void WriteAll(SafeFileDescriptor descriptor, ReadOnlySpan<byte> data)
    {
        fixed (byte* start = data)
        {
            var offset = 0;
            while (offset < data.Length)
            {
                var written = LibC.Write(descriptor, start + offset, (nuint)(data.Length - offset));
                if (written < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == Errno.EINTR)
                    {
                        continue;
                    }

                    throw new NativeCallException(errno, "write");
                }

                if (written == 0)
                {
                    throw new NativeCallException(Errno.EIO, "write");
                }

                offset += (int)written;
            }
        }
    }

    /// <summary>fsync(2): the file's data and metadata (for a directory: its entries) reach the disk.</summary>
    /// <param name="descriptor">An open (not O_PATH) descriptor.</param>
    public static void Sync(SafeFileDescriptor descriptor)
    {
        while (LibC.Fsync(descriptor) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno != Errno.EINTR)
            {
                throw new NativeCallException(errno, "fsync");
            }
        }
    }

    /// <summary>read(2) once; returns 0 at end of file.</summary>
    /// <param name="descriptor">An open descriptor.</param>
    /// <param name="buffer">Where to put the bytes.</param>
    public static int Read(SafeFileDescriptor descriptor, Span<byte> buffer)
    {
        fixed (byte* start = buffer)
        {
            while (true)
            {
                var count = LibC.Read(descriptor, start, (nuint)buffer.Length);
                if (count >= 0)
                {
                    return (int)count;
                }

                var errno = Marshal.GetLastPInvokeError();
                if (errno != Errno.EINTR)
                {
                    throw new NativeCallException(errno, "read");
                }
            }
        }
    }

    /// <summary>The names in a directory, without "." and "..".</summary>
    /// <param name="directory">The directory (an O_PATH descriptor is fine).</param>
    public static List<string> ReadDirectoryNames(SafeFileDescriptor directory)
    {
        // fdopendir takes the descriptor over, so hand it a fresh one.
        var errno = TryOpenAt(directory, ".", OpenFlags.ReadOnly | OpenFlags.Directory, 0, out var own);
        if (errno != 0)
        {
            throw new NativeCallException(errno, "openat", ".");
        }

        var dir = LibC.FdOpenDir(own!.Number);
        if (dir == IntPtr.Zero)
        {
            var error = Marshal.GetLastPInvokeError();
            own.Dispose();
            throw new NativeCallException(error, "fdopendir");
        }

        own.SetHandleAsInvalid();
        var names = new List<string>();
        try
        {
            while (true)
            {
                var entry = LibC.ReadDir(dir);
                if (entry == null)
                {
                    var error = Marshal.GetLastPInvokeError();
                    if (error != 0)
                    {
                        throw new NativeCallException(error, "readdir");
                    }

                    return names;
                }

                var name = MemoryMarshal.CreateReadOnlySpanFromNullTerminated(&entry->NameStart);
                if (name.SequenceEqual("."u8) || name.SequenceEqual(".."u8))
                {
                    continue;
                }

                try
                {
                    names.Add(StrictUtf8.GetString(name));
                }
                catch (DecoderFallbackException e)
                {
                    throw new IOException("readdir: a directory entry name is not valid UTF-8", e);
                }
            }
        }
        finally
        {
            LibC.CloseDir(dir);
        }
    }
}
