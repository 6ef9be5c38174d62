using GuestPull.Linux;

namespace GuestPull.Unpack.Rootfs;

/// <summary>
/// Opens directories below a root descriptor with RESOLVE_IN_ROOT semantics (openat2, or the user-space
/// walker), creating missing ones (0755), and keeps the last parent it opened for the next entry, which is
/// usually in the same directory.
/// </summary>
internal sealed class ConfinedDirectoryResolver : IDisposable
{
    /// <summary>The mode of directories created because an entry below them needed them.</summary>
    public const uint ImplicitDirectoryMode = 0x1ED; // 0755, as containerd creates missing parents

    private readonly bool _userSpaceResolution;
    private string? _cachedParentPath;
    private SafeFileDescriptor? _cachedParent;
    private bool _cacheStale;

    public ConfinedDirectoryResolver(SafeFileDescriptor root, bool userSpaceResolution)
    {
        Root = root;
        _userSpaceResolution = userSpaceResolution;
    }

    /// <summary>The root directory; every path is resolved inside it.</summary>
    public SafeFileDescriptor Root { get; }

    public void Dispose()
    {
        _cachedParent?.Dispose();
        Root.Dispose();
    }

    /// <summary>Forgets the cached parent: something that may be (or contain) it was removed or replaced by a symlink.</summary>
    public void Invalidate() => _cacheStale = true;

    /// <summary>The directory an opaque marker or whiteout applies to; null when a file is there (nothing to hide).</summary>
    public SafeFileDescriptor? OpenDirectoryForChange(EntryPath directoryPath)
    {
        var errno = TryOpenDirectory(directoryPath.Full, OpenFlags.ReadOnly | OpenFlags.Directory, create: true, out var directory);
        if (errno == Errno.ENOTDIR)
        {
            return null;
        }

        if (errno == Errno.ELOOP)
        {
            throw new InvalidLayerException($"'{directoryPath}' is not a directory in the root ({Errno.Name(errno)})");
        }

        ConfinedRootfsWriter.ThrowIfFailed(errno, "openat2", directoryPath);
        return directory!;
    }

    /// <summary>The parent directory of <paramref name="path"/>, created (0755) where missing. The result belongs to the cache: do not dispose it.</summary>
    public SafeFileDescriptor OpenParent(EntryPath path)
    {
        var errno = TryOpenParent(path, out var parent);
        if (errno is Errno.ENOTDIR or Errno.ELOOP or Errno.EEXIST)
        {
            throw new InvalidLayerException($"entry '{path}': parent '{path.Parent}' is not a directory in the root ({Errno.Name(errno)})");
        }

        ConfinedRootfsWriter.ThrowIfFailed(errno, "openat2", EntryPath.Normalize(path.Parent));
        return parent!;
    }

    /// <summary>
    /// For whiteouts: the parent, or null when it is not a directory. A whiteout below a file hides
    /// nothing (umoci emits them for children of a directory the same layer replaced with a file).
    /// </summary>
    public SafeFileDescriptor? OpenWhiteoutParent(EntryPath path)
    {
        var errno = TryOpenParent(path, out var parent);
        return errno == Errno.ENOTDIR ? null : parent ?? OpenParent(path);
    }

    /// <summary>Opens <paramref name="path"/> inside the root; with <paramref name="create"/>, missing directories on the way are made.</summary>
    public int TryOpenDirectory(string path, OpenFlags flags, bool create, out SafeFileDescriptor? directory)
    {
        uint? createMode = create ? ImplicitDirectoryMode : null;
        if (_userSpaceResolution)
        {
            return InRootPathWalker.TryOpen(Root, path, flags, 0, createMode, out directory);
        }

        var errno = FileSystemCalls.TryOpenInRoot(Root, path, flags, 0, out directory);
        if (errno == Errno.ENOENT && create)
        {
            // Some component is missing: walk in user space, creating directories where they belong.
            errno = InRootPathWalker.TryOpen(Root, path, flags, 0, createMode, out directory);
        }

        return errno;
    }

    private int TryOpenParent(EntryPath path, out SafeFileDescriptor? parent)
    {
        var parentPath = path.ParentSpan;
        if (parentPath.IsEmpty)
        {
            parent = Root;
            return 0;
        }

        if (!_cacheStale && _cachedParent is not null && parentPath.SequenceEqual(_cachedParentPath))
        {
            parent = _cachedParent;
            return 0;
        }

        var parentString = path.Parent;
        var errno = TryOpenDirectory(parentString, OpenFlags.Path | OpenFlags.Directory, create: true, out parent);
        if (errno == 0)
        {
            _cachedParent?.Dispose();
            _cachedParent = parent;
            _cachedParentPath = parentString;
            _cacheStale = false;
        }

        return errno;
    }
}
