using GuestPull.Linux;

namespace GuestPull.Unpack.Rootfs;

/// <summary>
/// Removes files and whole trees through directory descriptors, opening every directory with
/// O_NOFOLLOW relative to its parent, so a symlink inside the tree is unlinked, never followed.
/// </summary>
internal static class ConfinedTreeRemover
{
    /// <summary>Deeper trees are refused: each level holds one descriptor open.</summary>
    public const int MaxDepth = 1024;

    /// <summary>Removes <paramref name="name"/> (recursively if a directory); a missing name is fine.</summary>
    public static void Remove(SafeFileDescriptor parent, string name, string pathForMessages) => Remove(parent, name, pathForMessages, 0);

    /// <summary>Removes everything inside <paramref name="directory"/>.</summary>
    public static void RemoveChildren(SafeFileDescriptor directory, string pathForMessages, int depth)
    {
        foreach (var child in FileSystemCalls.ReadDirectoryNames(directory))
        {
            Remove(directory, child, pathForMessages, depth + 1);
        }
    }

    private static void Remove(SafeFileDescriptor parent, string name, string pathForMessages, int depth)
    {
        // unlink first: most things are not directories, and EISDIR tells us when one is.
        var errno = FileSystemCalls.TryUnlinkAt(parent, name);
        if (errno is 0 or Errno.ENOENT)
        {
            return;
        }

        if (errno != Errno.EISDIR)
        {
            throw new NativeCallException(errno, "unlinkat", pathForMessages);
        }

        if (depth >= MaxDepth)
        {
            throw new InvalidLayerException($"cannot remove '{pathForMessages}': directory tree is deeper than {MaxDepth} levels");
        }

        using (var directory = FileSystemCalls.OpenAt(parent, name, OpenFlags.ReadOnly | OpenFlags.Directory | OpenFlags.NoFollow))
        {
            RemoveChildren(directory, pathForMessages, depth);
        }

        errno = FileSystemCalls.TryUnlinkAt(parent, name, removeDirectory: true);
        if (errno is not (0 or Errno.ENOENT))
        {
            throw new NativeCallException(errno, "unlinkat", pathForMessages);
        }
    }
}
