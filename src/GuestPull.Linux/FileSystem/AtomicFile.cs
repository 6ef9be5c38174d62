using System.Security.Cryptography;

namespace GuestPull.Linux;

/// <summary>
/// Crash-safe file replacement: the content goes to a new temporary file in the destination's
/// directory, is synced, and is renamed over the destination, whose directory is then synced. A
/// reader sees the old file or the new one, never a mix; on any failure the temporary file is
/// removed and the destination is left as it was.
/// </summary>
public static class AtomicFile
{
    // Keeps "." + name + suffix within NAME_MAX (255 bytes) for any destination name.
    private const int MaxNameStemLength = 200;

    /// <summary>Replaces (or creates) <paramref name="path"/> with <paramref name="content"/>.</summary>
    /// <param name="path">The destination. Symlinks in its directory path are followed; one at the destination itself is replaced.</param>
    /// <param name="content">The new content.</param>
    /// <param name="mode">The new file's permissions, set exactly (the umask does not apply).</param>
    public static void Write(string path, ReadOnlySpan<byte> content, UnixFileMode mode)
    {
        var copy = content.ToArray();
        Write(path, mode, stream => stream.Write(copy));
    }

    /// <summary>Replaces (or creates) <paramref name="path"/> with what <paramref name="writeContent"/> writes.</summary>
    /// <param name="path">The destination. Symlinks in its directory path are followed; one at the destination itself is replaced.</param>
    /// <param name="mode">The new file's permissions, set exactly (the umask does not apply).</param>
    /// <param name="writeContent">Writes the whole content to the stream it is given; an exception leaves the destination untouched.</param>
    public static void Write(string path, UnixFileMode mode, Action<Stream> writeContent)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(writeContent);
        var full = Path.GetFullPath(path);
        var name = Path.GetFileName(full);
        var directoryPath = Path.GetDirectoryName(full);
        if (name.Length == 0 || directoryPath is null)
        {
            throw new ArgumentException($"'{path}' does not name a file", nameof(path));
        }

        using var directory = FileSystemCalls.Open(directoryPath, OpenFlags.ReadOnly | OpenFlags.Directory);
        var temporary = TemporaryName(name);
        var file = FileSystemCalls.OpenAt(directory, temporary, OpenFlags.WriteOnly | OpenFlags.Create | OpenFlags.Exclusive | OpenFlags.NoFollow, (uint)mode);
        var renamed = false;
        try
        {
            FileSystemCalls.ChangeMode(file, (uint)mode);
            using (var stream = new FileStream(file.TransferToFileHandle(), FileAccess.Write))
            {
                writeContent(stream);
                stream.Flush(flushToDisk: true);
            }

            FileSystemCalls.RenameAt(directory, temporary, directory, name);
            renamed = true;
        }
        finally
        {
            file.Dispose();
            if (!renamed)
            {
                _ = FileSystemCalls.TryUnlinkAt(directory, temporary);
            }
        }

        SyncDirectory(directory, directoryPath);
    }

    private static string TemporaryName(string name)
    {
        var stem = name.Length > MaxNameStemLength ? name[..MaxNameStemLength] : name;
        return $".{stem}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}.tmp";
    }

    // The rename is durable only once the directory is synced. Some file systems cannot sync a
    // directory (EINVAL); the rename has happened either way, so that is not reported.
    private static void SyncDirectory(SafeFileDescriptor directory, string directoryPath)
    {
        try
        {
            FileSystemCalls.Sync(directory);
        }
        catch (NativeCallException e) when (e.Errno == Errno.EINVAL)
        {
        }
        catch (NativeCallException e)
        {
            throw new NativeCallException(e.Errno, "fsync", directoryPath);
        }
    }
}
