using GuestPull.Linux;

namespace GuestPull.Images.Trees;

/// <summary>
/// Deletes directory trees through directory descriptors, never following a symlink, so a tree
/// that holds hostile image content (symlinks to "/", read-only directories) is removed safely.
/// </summary>
internal static class DirectoryTree
{
    private const int MaxDepth = 4096;

    /// <summary>Deletes <paramref name="path"/> and everything below it; a missing path is not an error.</summary>
    public static void Delete(string path)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        var parent = Path.GetDirectoryName(full) ?? throw new ArgumentException($"refusing to delete the root directory '{full}'", nameof(path));
        var name = Path.GetFileName(full);
        SafeFileDescriptor parentFd;
        try
        {
            parentFd = FileSystemCalls.Open(parent, OpenFlags.ReadOnly | OpenFlags.Directory);
        }
        catch (NativeCallException e) when (e.Errno == Errno.ENOENT)
        {
            return;
        }

        using (parentFd)
        {
            DeleteEntry(parentFd, name, full, 0);
        }
    }

    /// <summary>Deletes everything inside <paramref name="directory"/>, keeping the directory itself.</summary>
    public static void DeleteChildren(SafeFileDescriptor directory, string pathForMessages) => DeleteChildren(directory, pathForMessages, 0);

    /// <summary>Deletes the entry <paramref name="name"/> of <paramref name="parent"/> whatever its type; a missing entry is not an error.</summary>
    public static void DeleteEntry(SafeFileDescriptor parent, string name, string pathForMessages) => DeleteEntry(parent, name, pathForMessages, 0);

    private static void DeleteEntry(SafeFileDescriptor parent, string name, string pathForMessages, int depth)
    {
        if (!FileSystemCalls.TryStatAt(parent, name, out var status))
        {
            return;
        }

        if (status.IsDirectory)
        {
            if (depth > MaxDepth)
            {
                throw new IOException($"cannot delete '{pathForMessages}': directories nested deeper than {MaxDepth}");
            }

            var errno = FileSystemCalls.TryOpenAt(parent, name, OpenFlags.ReadOnly | OpenFlags.Directory | OpenFlags.NoFollow, 0, out var child);
            if (errno == 0)
            {
                using (child)
                {
                    DeleteChildren(child!, pathForMessages, depth + 1);
                }
            }
            else if (errno != Errno.ENOENT)
            {
                throw new NativeCallException(errno, "openat", pathForMessages);
            }
        }

        var removed = FileSystemCalls.TryUnlinkAt(parent, name, status.IsDirectory);
        if (removed != 0 && removed != Errno.ENOENT)
        {
            throw new NativeCallException(removed, "unlinkat", pathForMessages);
        }
    }

    private static void DeleteChildren(SafeFileDescriptor directory, string pathForMessages, int depth)
    {
        foreach (var name in FileSystemCalls.ReadDirectoryNames(directory))
        {
            DeleteEntry(directory, name, pathForMessages + "/" + name, depth);
        }
    }
}
