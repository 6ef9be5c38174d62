using GuestPull.Linux;

namespace GuestPull.Agent.Files;

/// <summary>
/// A file CopyFile has received part of: its temporary file in the destination's directory, both
/// held open between chunks so that later chunks and the final rename act on the directory the
/// first chunk walked to, whatever happens to the path meanwhile.
/// </summary>
internal sealed class PendingCopy : IDisposable
{
    private bool _closed;

    public PendingCopy(SafeFileDescriptor directory, SafeFileDescriptor file, string temporaryName, long fileSize, DateTimeOffset now)
    {
        Directory = directory;
        File = file;
        TemporaryName = temporaryName;
        FileSize = fileSize;
        LastChunk = now;
    }

    /// <summary>The destination's directory.</summary>
    public SafeFileDescriptor Directory { get; }

    /// <summary>The temporary file, open for writing; its offset is its end, as chunks only append.</summary>
    public SafeFileDescriptor File { get; }

    /// <summary>The temporary file's name in <see cref="Directory"/>.</summary>
    public string TemporaryName { get; }

    /// <summary>The size the first chunk announced; every later chunk must announce the same.</summary>
    public long FileSize { get; }

    /// <summary>When the last chunk arrived, so a copy its sender gave up on can be swept.</summary>
    public DateTimeOffset LastChunk { get; set; }

    /// <summary>Removes the temporary file and closes both descriptors; does nothing the second time.</summary>
    public void Abandon()
    {
        if (_closed)
        {
            return;
        }

        File.Dispose();
        _ = FileSystemCalls.TryUnlinkAt(Directory, TemporaryName);
        Dispose();
    }

    /// <summary>Closes both descriptors, leaving the files as they are (after the rename).</summary>
    public void Dispose()
    {
        _closed = true;
        File.Dispose();
        Directory.Dispose();
    }
}
