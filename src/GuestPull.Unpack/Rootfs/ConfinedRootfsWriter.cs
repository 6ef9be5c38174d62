using GuestPull.Linux;
using GuestPull.Unpack.Tar;

namespace GuestPull.Unpack.Rootfs;

/// <summary>
/// Writes entries into a root directory opened once as a descriptor. Every parent is resolved
/// relative to that descriptor with RESOLVE_IN_ROOT semantics (openat2, or the user-space walker),
/// and every final component is created or changed relative to its parent's descriptor without
/// following symlinks: no path string is ever handed to the kernel from outside the root, so no
/// symlink in the tree, however placed, can send a write outside it.
/// </summary>
internal sealed class ConfinedRootfsWriter : IDisposable
{
    private const uint ImplicitDirectoryMode = 0x1ED; // 0755, as containerd creates missing parents
    private const uint CreationMode = 0x180; // 0600 until the entry's own mode is applied
    private const uint DirectoryCreationMode = 0x1C0; // 0700
    private const string OverlayOpaque = "trusted.overlay.opaque";

    private readonly SafeFileDescriptor _root;
    private readonly bool _userSpaceResolution;
    private readonly Action<LayerWarningKind, string, string> _warn;
    private string? _cachedParentPath;
    private SafeFileDescriptor? _cachedParent;
    private bool _cacheStale;

    private ConfinedRootfsWriter(SafeFileDescriptor root, bool userSpaceResolution, Action<LayerWarningKind, string, string> warn)
    {
        _root = root;
        _userSpaceResolution = userSpaceResolution;
        _warn = warn;
    }

    public static ConfinedRootfsWriter Open(string rootDirectory, bool userSpaceResolution, Action<LayerWarningKind, string, string> warn)
    {
        // The root path itself is the caller's (trusted) choice; from here on only the descriptor is used.
        var root = FileSystemCalls.Open(rootDirectory, OpenFlags.Path | OpenFlags.Directory);
        return new ConfinedRootfsWriter(root, userSpaceResolution, warn);
    }

    public void Dispose()
    {
        _cachedParent?.Dispose();
        _root.Dispose();
    }

    public void WriteDirectory(EntryPath path, TarEntry entry, bool makeOpaque)
    {
        var parent = OpenParent(path);
        var errno = FileSystemCalls.TryMakeDirectoryAt(parent, path.Name, DirectoryCreationMode);
        if (errno == Errno.EEXIST)
        {
            // An existing directory is kept (its attributes are replaced below); anything else goes.
            if (!FileSystemCalls.TryStatAt(parent, path.Name, out var existing) || !existing.IsDirectory)
            {
                RemoveExisting(parent, path);
                errno = FileSystemCalls.TryMakeDirectoryAt(parent, path.Name, DirectoryCreationMode);
            }
            else
            {
                errno = 0;
            }
        }

        ThrowIfFailed(errno, "mkdirat", path);
        using var directory = FileSystemCalls.OpenAt(parent, path.Name, OpenFlags.ReadOnly | OpenFlags.Directory | OpenFlags.NoFollow);
        FileSystemCalls.ChangeOwner(directory, entry.Uid, entry.Gid);
        SetExtendedAttributes(directory, entry, path);
        FileSystemCalls.ChangeMode(directory, entry.Mode);
        if (makeOpaque)
        {
            ExtendedAttributes.Set(directory, OverlayOpaque, "y"u8);
        }
    }

    public async ValueTask<long> WriteFileAsync(EntryPath path, TarEntry entry, TarReader reader, CancellationToken cancellationToken)
    {
        var parent = OpenParent(path);
        var errno = FileSystemCalls.TryOpenAt(parent, path.Name, FileCreateFlags, CreationMode, out var created);
        if (errno == Errno.EEXIST)
        {
            RemoveExisting(parent, path);
            errno = FileSystemCalls.TryOpenAt(parent, path.Name, FileCreateFlags, CreationMode, out created);
        }

        ThrowIfFailed(errno, "openat", path);
        using var file = created!;
        long written = 0;
        while (true)
        {
            var chunk = await reader.ReadDataAsync(cancellationToken).ConfigureAwait(false);
            if (chunk.IsEmpty)
            {
                break;
            }

            FileSystemCalls.WriteAll(file, chunk.Span);
            written += chunk.Length;
        }

        // chown clears setuid/setgid and security.capability, so it goes first; mode after xattrs
        // because a POSIX ACL xattr rewrites the group bits.
        FileSystemCalls.ChangeOwner(file, entry.Uid, entry.Gid);
        SetExtendedAttributes(file, entry, path);
        FileSystemCalls.ChangeMode(file, entry.Mode);
        var time = ModificationTime(entry);
        FileSystemCalls.SetTimes(file, time, time);
        return written;
    }

    public void WriteSymbolicLink(EntryPath path, TarEntry entry)
    {
        var parent = OpenParent(path);
        // The target is stored as written (absolute targets are normal in images); it is never followed here.
        var errno = FileSystemCalls.TryCreateSymbolicLinkAt(entry.LinkName, parent, path.Name);
        if (errno == Errno.EEXIST)
        {
            RemoveExisting(parent, path);
            errno = FileSystemCalls.TryCreateSymbolicLinkAt(entry.LinkName, parent, path.Name);
        }

        ThrowIfFailed(errno, "symlinkat", path);
        _cacheStale = true;
        FileSystemCalls.ChangeOwnerAt(parent, path.Name, entry.Uid, entry.Gid);
        SetExtendedAttributesAt(parent, entry, path);
        var time = ModificationTime(entry);
        FileSystemCalls.SetTimesAt(parent, path.Name, time, time);
    }

    /// <summary>Creates a device or FIFO; false when a device was refused with EPERM (no CAP_MKNOD).</summary>
    public bool WriteSpecialFile(EntryPath path, TarEntry entry)
    {
        var type = entry.Type switch
        {
            TarEntryType.CharacterDevice => FileType.CharacterDevice,
            TarEntryType.BlockDevice => FileType.BlockDevice,
            _ => FileType.Fifo,
        };
        var device = type == FileType.Fifo ? 0 : FileSystemCalls.MakeDevice(entry.DeviceMajor, entry.DeviceMinor);
        var parent = OpenParent(path);
        var errno = FileSystemCalls.TryMakeNodeAt(parent, path.Name, type, CreationMode, device);
        if (errno == Errno.EEXIST)
        {
            RemoveExisting(parent, path);
            errno = FileSystemCalls.TryMakeNodeAt(parent, path.Name, type, CreationMode, device);
        }

        if (errno == Errno.EPERM && type != FileType.Fifo)
        {
            return false;
        }

        ThrowIfFailed(errno, "mknodat", path);
        FileSystemCalls.ChangeOwnerAt(parent, path.Name, entry.Uid, entry.Gid);
        SetExtendedAttributesAt(parent, entry, path);
        // fchmodat follows symlinks, but this name is the node created just above.
        FileSystemCalls.ChangeModeAt(parent, path.Name, entry.Mode);
        var time = ModificationTime(entry);
        FileSystemCalls.SetTimesAt(parent, path.Name, time, time);
        return true;
    }

    /// <summary>
    /// Links <paramref name="path"/> to the existing <paramref name="target"/>, which must resolve
    /// inside the root and not be a directory; a symlink target is linked itself, not followed.
    /// </summary>
    public void WriteHardLink(EntryPath path, EntryPath target)
    {
        var errno = TryOpenDirectory(target.Parent, OpenFlags.Path | OpenFlags.Directory, create: false, out var targetParent);
        if (errno != 0)
        {
            throw new InvalidLayerException($"hard link '{path}' points at '{target}', whose directory does not exist in the root ({Errno.Name(errno)})");
        }

        using (targetParent)
        {
            errno = FileSystemCalls.TryOpenAt(targetParent!, target.Name, OpenFlags.Path | OpenFlags.NoFollow, 0, out var targetFile);
            if (errno != 0)
            {
                throw new InvalidLayerException($"hard link '{path}' points at '{target}', which does not exist in the root ({Errno.Name(errno)})");
            }

            using (targetFile)
            {
                var targetStatus = FileSystemCalls.Stat(targetFile!);
                if (targetStatus.IsDirectory)
                {
                    throw new InvalidLayerException($"hard link '{path}' points at directory '{target}'");
                }

                var parent = OpenParent(path);
                errno = Link(targetFile!, targetParent!, target.Name, parent, path.Name);
                if (errno == Errno.EEXIST)
                {
                    if (FileSystemCalls.TryStatAt(parent, path.Name, out var existing)
                        && existing.Inode == targetStatus.Inode && existing.Device == targetStatus.Device)
                    {
                        return;
                    }

                    RemoveExisting(parent, path);
                    errno = Link(targetFile!, targetParent!, target.Name, parent, path.Name);
                }

                ThrowIfFailed(errno, "linkat", path);
            }
        }
    }

    /// <summary>Overlay form of <c>.wh.NAME</c>: a 0:0 character device at NAME.</summary>
    public void CreateOverlayWhiteout(EntryPath path)
    {
        if (OpenWhiteoutParent(path) is not { } parent)
        {
            return;
        }

        var errno = FileSystemCalls.TryMakeNodeAt(parent, path.Name, FileType.CharacterDevice, 0, 0);
        if (errno == Errno.EEXIST)
        {
            RemoveExisting(parent, path);
            errno = FileSystemCalls.TryMakeNodeAt(parent, path.Name, FileType.CharacterDevice, 0, 0);
        }

        if (errno == Errno.EPERM)
        {
            throw new NativeCallException(errno, "mknodat (overlay whiteouts need CAP_MKNOD)", path.Full);
        }

        ThrowIfFailed(errno, "mknodat", path);
        FileSystemCalls.ChangeOwnerAt(parent, path.Name, 0, 0);
    }

    /// <summary>Turns an overlay whiteout device back into an (opaque) directory so entries can go below it.</summary>
    public void ReplaceWhiteoutWithDirectory(EntryPath path)
    {
        var parent = OpenParent(path);
        RemoveExisting(parent, path);
        ThrowIfFailed(FileSystemCalls.TryMakeDirectoryAt(parent, path.Name, ImplicitDirectoryMode), "mkdirat", path);
        using var directory = FileSystemCalls.OpenAt(parent, path.Name, OpenFlags.ReadOnly | OpenFlags.Directory | OpenFlags.NoFollow);
        FileSystemCalls.ChangeMode(directory, ImplicitDirectoryMode);
        ExtendedAttributes.Set(directory, OverlayOpaque, "y"u8);
    }

    /// <summary>Overlay form of an opaque marker: <c>trusted.overlay.opaque=y</c> on the directory.</summary>
    public void SetOpaque(EntryPath directoryPath)
    {
        using var directory = OpenDirectoryForChange(directoryPath);
        if (directory is not null)
        {
            ExtendedAttributes.Set(directory, OverlayOpaque, "y"u8);
        }
    }

    /// <summary>Apply form of <c>.wh.NAME</c>: removes NAME (recursively) if it exists.</summary>
    public void RemovePath(EntryPath path)
    {
        if (OpenWhiteoutParent(path) is { } parent)
        {
            RemoveExisting(parent, path);
        }
    }

    /// <summary>
    /// Apply form of an opaque directory: removes every child that did not come from this layer,
    /// descending into the directories this layer merged into, whose lower content is hidden too.
    /// </summary>
    public void RemoveLowerContent(EntryPath directoryPath, LayerPathTracker tracker)
    {
        using var directory = OpenDirectoryForChange(directoryPath);
        if (directory is not null)
        {
            RemoveLowerContent(directory, directoryPath.Full, tracker, 0);
            _cacheStale = true;
        }
    }

    /// <summary>Sets a directory's times at the end of the layer (adding entries changed them). Skips paths that are no longer directories.</summary>
    public void SetDirectoryTimes(string path, UnixTimestamp time)
    {
        var errno = TryOpenDirectory(path, OpenFlags.ReadOnly | OpenFlags.Directory | OpenFlags.NoFollow, create: false, out var directory);
        if (errno is Errno.ENOENT or Errno.ENOTDIR or Errno.ELOOP)
        {
            return;
        }

        ThrowIfFailed(errno, "openat2", EntryPath.Normalize(path));
        using (directory)
        {
            FileSystemCalls.SetTimes(directory!, time, time);
        }
    }

    private static OpenFlags FileCreateFlags => OpenFlags.WriteOnly | OpenFlags.Create | OpenFlags.Exclusive | OpenFlags.NoFollow;

    private static UnixTimestamp ModificationTime(TarEntry entry) => new(entry.ModificationSeconds, entry.ModificationNanoseconds);

    private void RemoveLowerContent(SafeFileDescriptor directory, string directoryPath, LayerPathTracker tracker, int depth)
    {
        foreach (var name in FileSystemCalls.ReadDirectoryNames(directory))
        {
            var child = EntryPath.Join(directoryPath, name);
            switch (tracker.Get(child.Full))
            {
                case null:
                    ConfinedTreeRemover.Remove(directory, name, child.Full);
                    break;
                case PathState.Directory or PathState.ImplicitDirectory:
                    if (depth >= ConfinedTreeRemover.MaxDepth)
                    {
                        throw new InvalidLayerException($"opaque directory '{directoryPath}' is nested deeper than {ConfinedTreeRemover.MaxDepth} levels");
                    }

                    if (FileSystemCalls.TryOpenAt(directory, name, OpenFlags.ReadOnly | OpenFlags.Directory | OpenFlags.NoFollow, 0, out var sub) == 0)
                    {
                        using (sub)
                        {
                            RemoveLowerContent(sub!, child.Full, tracker, depth + 1);
                        }
                    }

                    break;
            }
        }
    }

    /// <summary>The directory an opaque marker or whiteout applies to; null when a file is there (nothing to hide).</summary>
    private SafeFileDescriptor? OpenDirectoryForChange(EntryPath directoryPath)
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

        ThrowIfFailed(errno, "openat2", directoryPath);
        return directory!;
    }

    /// <summary>The parent directory of <paramref name="path"/>, created (0755) where missing. The result belongs to the cache: do not dispose it.</summary>
    private SafeFileDescriptor OpenParent(EntryPath path)
    {
        var errno = TryOpenParent(path, out var parent);
        if (errno is Errno.ENOTDIR or Errno.ELOOP or Errno.EEXIST)
        {
            throw new InvalidLayerException($"entry '{path}': parent '{path.Parent}' is not a directory in the root ({Errno.Name(errno)})");
        }

        ThrowIfFailed(errno, "openat2", EntryPath.Normalize(path.Parent));
        return parent!;
    }

    /// <summary>
    /// For whiteouts: the parent, or null when it is not a directory. A whiteout below a file hides
    /// nothing (umoci emits them for children of a directory the same layer replaced with a file).
    /// </summary>
    private SafeFileDescriptor? OpenWhiteoutParent(EntryPath path)
    {
        var errno = TryOpenParent(path, out var parent);
        return errno == Errno.ENOTDIR ? null : parent ?? OpenParent(path);
    }

    private int TryOpenParent(EntryPath path, out SafeFileDescriptor? parent)
    {
        var parentPath = path.ParentSpan;
        if (parentPath.IsEmpty)
        {
            parent = _root;
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

    private int TryOpenDirectory(string path, OpenFlags flags, bool create, out SafeFileDescriptor? directory)
    {
        uint? createMode = create ? ImplicitDirectoryMode : null;
        if (_userSpaceResolution)
        {
            return InRootPathWalker.TryOpen(_root, path, flags, 0, createMode, out directory);
        }

        var errno = FileSystemCalls.TryOpenInRoot(_root, path, flags, 0, out directory);
        if (errno == Errno.ENOENT && create)
        {
            // Some component is missing: walk in user space, creating directories where they belong.
            errno = InRootPathWalker.TryOpen(_root, path, flags, 0, createMode, out directory);
        }

        return errno;
    }

    private void RemoveExisting(SafeFileDescriptor parent, EntryPath path)
    {
        // Whatever is removed may be (or contain) the cached parent of a later entry.
        _cacheStale = true;
        ConfinedTreeRemover.Remove(parent, path.Name, path.Full);
    }

    private static int Link(SafeFileDescriptor targetFile, SafeFileDescriptor targetParent, string targetName, SafeFileDescriptor parent, string name)
    {
        // Linking the descriptor already inspected leaves no window for the target to change;
        // AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH, so fall back to the name in the confined parent.
        var errno = FileSystemCalls.TryLinkAt(targetFile, string.Empty, parent, name, emptyPath: true);
        if (errno is Errno.ENOENT or Errno.EPERM)
        {
            errno = FileSystemCalls.TryLinkAt(targetParent, targetName, parent, name);
        }

        return errno;
    }

    private void SetExtendedAttributes(SafeFileDescriptor file, TarEntry entry, EntryPath path)
    {
        // Names were checked against ExtendedAttributePolicy before the entry was written.
        foreach (var (name, value) in entry.ExtendedAttributes)
        {
            try
            {
                ExtendedAttributes.Set(file, name, value);
            }
            catch (NativeCallException e) when (e.Errno == Errno.EOPNOTSUPP)
            {
                _warn(LayerWarningKind.ExtendedAttributeUnsupported, path.Full, $"extended attribute '{name}' of '{path}' dropped: {e.Message}");
            }
        }
    }

    private void SetExtendedAttributesAt(SafeFileDescriptor parent, TarEntry entry, EntryPath path)
    {
        // Names were checked against ExtendedAttributePolicy before the entry was written.
        foreach (var (name, value) in entry.ExtendedAttributes)
        {
            try
            {
                ExtendedAttributes.SetAt(parent, path.Name, name, value);
            }
            catch (NativeCallException e) when (e.Errno == Errno.EOPNOTSUPP)
            {
                _warn(LayerWarningKind.ExtendedAttributeUnsupported, path.Full, $"extended attribute '{name}' of '{path}' dropped: {e.Message}");
            }
        }
    }

    private static void ThrowIfFailed(int errno, string syscall, EntryPath path)
    {
        if (errno != 0)
        {
            throw new NativeCallException(errno, syscall, path.Full);
        }
    }
}
