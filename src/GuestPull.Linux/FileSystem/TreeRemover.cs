using System.Globalization;
using GuestPull.Linux.Interop;

namespace GuestPull.Linux;

/// <summary>
/// Removes directory trees through directory descriptors: every directory is opened with O_NOFOLLOW
/// relative to its parent, so a symlink inside the tree (to "/", say) is unlinked, never followed,
/// and a tree holding hostile image content is removed without touching anything outside it.
/// Directories inside the tree that lack owner rwx (read-only image directories) are opened up
/// before their content is removed; a mount point inside the tree is refused with EBUSY before
/// anything below it is touched.
/// </summary>
public static class TreeRemover
{
    /// <summary>How deep <see cref="Delete"/> descends unless told otherwise; each level holds one descriptor open.</summary>
    public const int DefaultMaxDepth = 4096;

    private const uint OwnerAll = 0x1C0; // 0700

    /// <summary>Deletes <paramref name="path"/> and everything below it; a missing path is not an error.</summary>
    /// <param name="path">The tree to delete. Symlinks in its parent directories are followed, one at its last component is removed itself.</param>
    /// <param name="maxDepth">How many directory levels may be descended before <see cref="DirectoryTooDeepException"/>.</param>
    public static void Delete(string path, int maxDepth = DefaultMaxDepth)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        var parentPath = Path.GetDirectoryName(full) ?? throw new ArgumentException($"refusing to delete the root directory '{full}'", nameof(path));
        var errno = FileSystemCalls.TryOpen(parentPath, OpenFlags.ReadOnly | OpenFlags.Directory, 0, out var parent);
        if (errno == Errno.ENOENT)
        {
            return;
        }

        if (errno != 0)
        {
            throw new NativeCallException(errno, "open", parentPath);
        }

        using (parent)
        {
            DeleteEntry(parent!, Path.GetFileName(full), full, maxDepth);
        }
    }

    /// <summary>Deletes the entry <paramref name="name"/> of <paramref name="parent"/> whatever its type; a missing entry is not an error.</summary>
    /// <param name="parent">The directory holding the entry.</param>
    /// <param name="name">The entry's name (one component).</param>
    /// <param name="pathForMessages">The entry's path, for error messages.</param>
    /// <param name="maxDepth">How many directory levels may be descended before <see cref="DirectoryTooDeepException"/>.</param>
    public static void DeleteEntry(SafeFileDescriptor parent, string name, string pathForMessages, int maxDepth = DefaultMaxDepth)
        => DeleteEntry(parent, FileSystemCalls.Stat(parent), name, pathForMessages, 0, maxDepth);

    /// <summary>Deletes everything inside <paramref name="directory"/>, keeping the directory itself (and its mode) as it is.</summary>
    /// <param name="directory">An open (not O_PATH) directory descriptor.</param>
    /// <param name="pathForMessages">The directory's path, for error messages.</param>
    /// <param name="maxDepth">How many directory levels may be descended before <see cref="DirectoryTooDeepException"/>.</param>
    public static void DeleteChildren(SafeFileDescriptor directory, string pathForMessages, int maxDepth = DefaultMaxDepth)
        => DeleteChildren(directory, FileSystemCalls.Stat(directory), pathForMessages, 0, maxDepth);

    private static void DeleteChildren(SafeFileDescriptor directory, FileStatus status, string pathForMessages, int depth, int maxDepth)
    {
        foreach (var name in FileSystemCalls.ReadDirectoryNames(directory))
        {
            DeleteEntry(directory, status, name, pathForMessages + "/" + name, depth, maxDepth);
        }
    }

    private static void DeleteEntry(SafeFileDescriptor parent, FileStatus parentStatus, string name, string pathForMessages, int depth, int maxDepth)
    {
        // unlink first: most entries are not directories, and EISDIR tells us when one is.
        var errno = FileSystemCalls.TryUnlinkAt(parent, name);
        if (errno is 0 or Errno.ENOENT)
        {
            return;
        }

        if (errno != Errno.EISDIR)
        {
            throw new NativeCallException(errno, "unlinkat", pathForMessages);
        }

        if (depth >= maxDepth)
        {
            throw new DirectoryTooDeepException(pathForMessages, maxDepth);
        }

        if (!FileSystemCalls.TryStatAt(parent, name, out var status))
        {
            return;
        }

        ThrowIfMountPoint(status, parentStatus, pathForMessages);
        if ((status.Permissions & OwnerAll) != OwnerAll)
        {
            OpenUp(parent, name);
        }

        errno = FileSystemCalls.TryOpenAt(parent, name, OpenFlags.ReadOnly | OpenFlags.Directory | OpenFlags.NoFollow, 0, out var directory);
        if (errno == Errno.ENOENT)
        {
            return;
        }

        if (errno != 0)
        {
            throw new NativeCallException(errno, "openat", pathForMessages);
        }

        using (directory)
        {
            // Checked again on what was opened: the name may have been replaced since the stat.
            var opened = FileSystemCalls.Stat(directory!);
            ThrowIfMountPoint(opened, parentStatus, pathForMessages);
            DeleteChildren(directory!, opened, pathForMessages, depth + 1, maxDepth);
        }

        errno = FileSystemCalls.TryUnlinkAt(parent, name, removeDirectory: true);
        if (errno is not (0 or Errno.ENOENT))
        {
            throw new NativeCallException(errno, "unlinkat", pathForMessages);
        }
    }

    // Removing a mount point's content would reach into another file system (a bind mount of the
    // host, a container's rootfs); its removal would fail with EBUSY anyway, so fail before that.
    private static void ThrowIfMountPoint(FileStatus status, FileStatus parentStatus, string pathForMessages)
    {
        if (status.IsMountRoot ?? status.Device != parentStatus.Device)
        {
            throw new NativeCallException(Errno.EBUSY, "unlinkat", pathForMessages);
        }
    }

    // Best effort: a directory without owner rwx cannot be listed or emptied by its (unprivileged)
    // owner. chmod goes through an O_PATH|O_NOFOLLOW descriptor, so a symlink swapped in for the
    // directory is never followed; if it fails, the open or unlink that follows reports the error.
    private static void OpenUp(SafeFileDescriptor parent, string name)
    {
        if (FileSystemCalls.TryOpenAt(parent, name, OpenFlags.Path | OpenFlags.Directory | OpenFlags.NoFollow, 0, out var located) != 0)
        {
            return;
        }

        using (located)
        {
            if (FileSystemCalls.TryStatAt(located!, string.Empty, out var status))
            {
                // chmod(2) of the descriptor's /proc link acts on the inode it refers to; the result
                // is not checked (see above).
                _ = LibC.Chmod("/proc/self/fd/" + located!.Number.ToString(CultureInfo.InvariantCulture), (status.Permissions | OwnerAll) & 0x1FF);
            }
        }
    }
}
