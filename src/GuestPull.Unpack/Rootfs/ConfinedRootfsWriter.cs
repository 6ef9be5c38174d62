using GuestPull.Linux;
using GuestPull.Unpack.Tar;

namespace GuestPull.Unpack.Rootfs;

/// <summary>
/// Writes entries into a root directory opened once as a descriptor. Every parent is resolved
/// relative to that descriptor with RESOLVE_IN_ROOT semantics (openat2, or the user-space walker),
/// and every final component is created or changed relative to its parent's descriptor without
/// following symlinks: no path string is ever handed to the kernel from outside the root, so no
/// symlink in the tree, however placed, can send a write outside it. The directories are resolved
/// by <see cref="ConfinedDirectoryResolver"/>, the extended attributes applied by <see cref="EntryAttributeWriter"/>.
/// </summary>
internal sealed class ConfinedRootfsWriter : IDisposable
{
    private const uint CreationMode = 0x180; // 0600 until the entry's own mode is applied
    private const uint DirectoryCreationMode = 0x1C0; // 0700
    private const string OverlayOpaque = "trusted.overlay.opaque";

    private readonly ConfinedDirectoryResolver _directories;
    private readonly EntryAttributeWriter _attributes;

    private ConfinedRootfsWriter(ConfinedDirectoryResolver directories, EntryAttributeWriter attributes)
    {
        _directories = directories;
        _attributes = attributes;
    }

    public static ConfinedRootfsWriter Open(string rootDirectory, bool userSpaceResolution, Action<LayerWarningKind, string, string> warn)
    {
        // The root path itself is the caller's (trusted) choice; from here on only the descriptor is used.
        var root = FileSystemCalls.Open(rootDirectory, OpenFlags.Path | OpenFlags.Directory);
        return new ConfinedRootfsWriter(new ConfinedDirectoryResolver(root, userSpaceResolution), new EntryAttributeWriter(warn));
    }

    public void Dispose()
    {
        _directories.Dispose();
    }

    public void WriteDirectory(EntryPath path, TarEntry entry, bool makeOpaque)
    {
        var parent = _directories.OpenParent(path);
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
        _attributes.SetExtendedAttributes(directory, entry, path);
        FileSystemCalls.ChangeMode(directory, entry.Mode);
        if (makeOpaque)
        {
            ExtendedAttributes.Set(directory, OverlayOpaque, "y"u8);
        }
    }

    /// <summary>Gives the root directory the owner, xattrs and mode of the layer's <c>./</c> entry.</summary>
    public void WriteRootDirectory(TarEntry entry)
    {
        using var root = OpenRoot();
        FileSystemCalls.ChangeOwner(root, entry.Uid, entry.Gid);
        _attributes.SetExtendedAttributes(root, entry, EntryPath.Normalize(string.Empty));
        FileSystemCalls.ChangeMode(root, entry.Mode);
    }

    /// <summary>Gives the root directory the attributes of an implicit directory (0755, root).</summary>
    public void ResetRootDirectory()
    {
        using var root = OpenRoot();
        FileSystemCalls.ChangeOwner(root, 0, 0);
        FileSystemCalls.ChangeMode(root, ConfinedDirectoryResolver.ImplicitDirectoryMode);
    }

    /// <summary>Sets the root directory's times at the end of the layer.</summary>
    public void SetRootTimes(UnixTimestamp time)
    {
        using var root = OpenRoot();
        FileSystemCalls.SetTimes(root, time, time);
    }

    public async ValueTask<long> WriteFileAsync(EntryPath path, TarEntry entry, TarReader reader, CancellationToken cancellationToken)
    {
        var parent = _directories.OpenParent(path);
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
        _attributes.SetExtendedAttributes(file, entry, path);
        FileSystemCalls.ChangeMode(file, entry.Mode);
        var time = ModificationTime(entry);
        FileSystemCalls.SetTimes(file, time, time);
        return written;
    }

    public void WriteSymbolicLink(EntryPath path, TarEntry entry)
    {
        var parent = _directories.OpenParent(path);
        // The target is stored as written (absolute targets are normal in images); it is never followed here.
        var errno = FileSystemCalls.TryCreateSymbolicLinkAt(entry.LinkName, parent, path.Name);
        if (errno == Errno.EEXIST)
        {
            RemoveExisting(parent, path);
            errno = FileSystemCalls.TryCreateSymbolicLinkAt(entry.LinkName, parent, path.Name);
        }

        ThrowIfFailed(errno, "symlinkat", path);
        _directories.Invalidate();
        FileSystemCalls.ChangeOwnerAt(parent, path.Name, entry.Uid, entry.Gid);
        _attributes.SetExtendedAttributesAt(parent, entry, path);
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
        var parent = _directories.OpenParent(path);
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
        _attributes.SetExtendedAttributesAt(parent, entry, path);
        // fchmodat follows symlinks, but this name is the node created just above.
        FileSystemCalls.ChangeModeAt(parent, path.Name, entry.Mode);
        var time = ModificationTime(entry);
        FileSystemCalls.SetTimesAt(parent, path.Name, time, time);
        return true;
    }

    /// <summary>
    /// Links <paramref name="path"/> to the existing <paramref name="target"/>, which must resolve
    /// inside the root and not be a directory; a symlink target is linked itself, not followed.
    /// Returns null when linked, or why the target is not in the root ("whose directory does not
    /// exist…", "which does not exist…"), for the caller to decide. In overlay form a 0:0 character
    /// device is this layer's whiteout and refused, unless it is a placeholder for a link into a lower
    /// layer (<see cref="LowerLayerHardLinks"/>): the new link then shares the placeholder.
    /// </summary>
    public string? WriteHardLink(EntryPath path, EntryPath target, bool overlayForm)
    {
        var errno = _directories.TryOpenDirectory(target.Parent, OpenFlags.Path | OpenFlags.Directory, create: false, out var targetParent);
        if (errno is Errno.ENOENT or Errno.ENOTDIR)
        {
            return $"whose directory does not exist in the root ({Errno.Name(errno)})";
        }

        if (errno != 0)
        {
            throw new InvalidLayerException($"hard link '{path}' points at '{target}', whose directory cannot be opened in the root ({Errno.Name(errno)})");
        }

        using (targetParent)
        {
            errno = FileSystemCalls.TryOpenAt(targetParent!, target.Name, OpenFlags.Path | OpenFlags.NoFollow, 0, out var targetFile);
            if (errno == Errno.ENOENT)
            {
                return $"which does not exist in the root ({Errno.Name(errno)})";
            }

            if (errno != 0)
            {
                throw new InvalidLayerException($"hard link '{path}' points at '{target}', which cannot be opened in the root ({Errno.Name(errno)})");
            }

            using (targetFile)
            {
                var targetStatus = FileSystemCalls.Stat(targetFile!);
                if (targetStatus.IsDirectory)
                {
                    throw new InvalidLayerException($"hard link '{path}' points at directory '{target}'");
                }

                if (overlayForm && targetStatus.Type == FileType.CharacterDevice && targetStatus.DeviceNumber == 0
                    && ExtendedAttributes.GetAt(targetParent!, target.Name, LowerLayerHardLinks.TargetAttribute) is null)
                {
                    throw new InvalidLayerException($"hard link '{path}' points at '{target}', which this layer whites out");
                }

                var parent = _directories.OpenParent(path);
                errno = Link(targetFile!, targetParent!, target.Name, parent, path.Name);
                if (errno == Errno.EEXIST)
                {
                    if (FileSystemCalls.TryStatAt(parent, path.Name, out var existing)
                        && existing.Inode == targetStatus.Inode && existing.Device == targetStatus.Device)
                    {
                        return null;
                    }

                    RemoveExisting(parent, path);
                    errno = Link(targetFile!, targetParent!, target.Name, parent, path.Name);
                }

                ThrowIfFailed(errno, "linkat", path);
                return null;
            }
        }
    }

    /// <summary>
    /// Overlay form of a hard link to a file of a lower layer: a 0:0 character device (it hides the
    /// lower name, as a whiteout would) that records the target, for whoever stacks the layers.
    /// </summary>
    public void WriteLowerLayerHardLink(EntryPath path, EntryPath target)
    {
        var parent = _directories.OpenParent(path);
        MakeWhiteoutDevice(parent, path);
        ExtendedAttributes.SetAt(parent, path.Name, LowerLayerHardLinks.TargetAttribute, System.Text.Encoding.UTF8.GetBytes(target.Full));
    }

    /// <summary>Records on the root how many links into lower layers the layer holds.</summary>
    public void MarkLowerLayerHardLinks(long count)
    {
        using var root = OpenRoot();
        ExtendedAttributes.Set(root, LowerLayerHardLinks.LayerAttribute, System.Text.Encoding.ASCII.GetBytes(count.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    /// <summary>Overlay form of <c>.wh.NAME</c>: a 0:0 character device at NAME.</summary>
    public void CreateOverlayWhiteout(EntryPath path)
    {
        if (_directories.OpenWhiteoutParent(path) is not { } parent)
        {
            return;
        }

        MakeWhiteoutDevice(parent, path);
    }

    // The 0:0 character device overlayfs reads as a whiteout, owned by root, replacing whatever the
    // layer wrote at that name before.
    private void MakeWhiteoutDevice(SafeFileDescriptor parent, EntryPath path)
    {
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
        var parent = _directories.OpenParent(path);
        RemoveExisting(parent, path);
        ThrowIfFailed(FileSystemCalls.TryMakeDirectoryAt(parent, path.Name, ConfinedDirectoryResolver.ImplicitDirectoryMode), "mkdirat", path);
        using var directory = FileSystemCalls.OpenAt(parent, path.Name, OpenFlags.ReadOnly | OpenFlags.Directory | OpenFlags.NoFollow);
        FileSystemCalls.ChangeMode(directory, ConfinedDirectoryResolver.ImplicitDirectoryMode);
        ExtendedAttributes.Set(directory, OverlayOpaque, "y"u8);
    }

    /// <summary>Overlay form of an opaque marker: <c>trusted.overlay.opaque=y</c> on the directory.</summary>
    public void SetOpaque(EntryPath directoryPath)
    {
        using var directory = _directories.OpenDirectoryForChange(directoryPath);
        if (directory is not null)
        {
            ExtendedAttributes.Set(directory, OverlayOpaque, "y"u8);
        }
    }

    /// <summary>Apply form of <c>.wh.NAME</c>: removes NAME (recursively) if it exists.</summary>
    public void RemovePath(EntryPath path)
    {
        if (_directories.OpenWhiteoutParent(path) is { } parent)
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
        using var directory = _directories.OpenDirectoryForChange(directoryPath);
        if (directory is not null)
        {
            RemoveLowerContent(directory, directoryPath.Full, tracker, 0);
            _directories.Invalidate();
        }
    }

    /// <summary>Sets a directory's times at the end of the layer (adding entries changed them). Skips paths that are no longer directories.</summary>
    public void SetDirectoryTimes(string path, UnixTimestamp time)
    {
        var errno = _directories.TryOpenDirectory(path, OpenFlags.ReadOnly | OpenFlags.Directory | OpenFlags.NoFollow, create: false, out var directory);
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

    private SafeFileDescriptor OpenRoot()
        => FileSystemCalls.OpenAt(_directories.Root, ".", OpenFlags.ReadOnly | OpenFlags.Directory | OpenFlags.NoFollow);

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

    private void RemoveExisting(SafeFileDescriptor parent, EntryPath path)
    {
        // Whatever is removed may be (or contain) the cached parent of a later entry.
        _directories.Invalidate();
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

    /// <summary>Throws <see cref="NativeCallException"/> for a non-zero <paramref name="errno"/> of <paramref name="syscall"/> on <paramref name="path"/>.</summary>
    internal static void ThrowIfFailed(int errno, string syscall, EntryPath path)
    {
        if (errno != 0)
        {
            throw new NativeCallException(errno, syscall, path.Full);
        }
    }
}
