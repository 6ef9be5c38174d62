using System.Buffers;
using GuestPull.Linux;

namespace GuestPull.Images.Bundles;

/// <summary>
/// Copies one layer directory (overlayfs-form whiteouts: a 0:0 character device deletes the name
/// below, <c>trusted.overlay.opaque=y</c> hides a directory's lower content) onto a rootfs that
/// holds the layers below it, keeping types, modes, owners, times, xattrs, device numbers and the
/// layer's hardlinks. Every access is relative to directory descriptors opened without following
/// symlinks, so a symlink in the layer or the rootfs never redirects a write.
/// </summary>
internal sealed class LayerFlattener
{
    private const string OpaqueAttribute = "trusted.overlay.opaque";
    internal const int MaxDepth = 4096;
    private const int CopyBufferSize = 1024 * 1024;
    private const uint OwnerOnlyDirectoryMode = 0x1C0; // 0700, until the layer's mode is copied
    private const uint OwnerOnlyFileMode = 0x180; // 0600

    private readonly SafeFileDescriptor _targetRoot;
    private readonly Action<string> _warn;
    private readonly CancellationToken _cancellationToken;
    private readonly Dictionary<(ulong Device, ulong Inode), string> _hardlinks = [];
    private readonly HashSet<string> _implicitDirectories;

    private LayerFlattener(SafeFileDescriptor targetRoot, HashSet<string> implicitDirectories, Action<string> warn, CancellationToken cancellationToken)
    {
        _implicitDirectories = implicitDirectories;
        _targetRoot = targetRoot;
        _warn = warn;
        _cancellationToken = cancellationToken;
    }

    /// <summary>Applies <paramref name="layerDirectory"/> onto the rootfs open at <paramref name="targetRoot"/>.</summary>
    public static void Apply(string layerDirectory, SafeFileDescriptor targetRoot, Action<string> warn, CancellationToken cancellationToken)
    {
        using var source = FileSystemCalls.Open(layerDirectory, OpenFlags.ReadOnly | OpenFlags.Directory);
        var flattener = new LayerFlattener(targetRoot, Store.ImplicitDirectoryMarker.Read(layerDirectory), warn, cancellationToken);
        if (IsOpaque(source))
        {
            TreeRemover.DeleteChildren(targetRoot, "rootfs");
        }

        flattener.ApplyDirectory(source, targetRoot, string.Empty, 0);

        // A layer without a ./ entry leaves the root as the layers below made it.
        if (!flattener._implicitDirectories.Contains(Store.ImplicitDirectoryMarker.Root))
        {
            CopyAttributes(source, targetRoot, FileSystemCalls.Stat(source), removeOthers: true, warn);
        }
    }

    private static bool IsOpaque(SafeFileDescriptor directory)
        => ExtendedAttributes.Get(directory, OpaqueAttribute) is [(byte)'y'];

    private static bool IsOverlayAttribute(string name)
        => name.StartsWith("trusted.overlay.", StringComparison.Ordinal) || name.StartsWith("user.overlay.", StringComparison.Ordinal)
            || Store.ImplicitDirectoryMarker.IsBookkeeping(name);

    private void ApplyDirectory(SafeFileDescriptor source, SafeFileDescriptor target, string relativePath, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new IOException($"layer directories nested deeper than {MaxDepth} at '{relativePath}'");
        }

        var names = FileSystemCalls.ReadDirectoryNames(source);
        names.Sort(StringComparer.Ordinal);
        foreach (var name in names)
        {
            _cancellationToken.ThrowIfCancellationRequested();
            var path = relativePath + "/" + name;
            var status = FileSystemCalls.StatAt(source, name);
            var exists = FileSystemCalls.TryStatAt(target, name, out var existing);
            if (status.Type == FileType.CharacterDevice && status.DeviceNumber == 0)
            {
                TreeRemover.DeleteEntry(target, name, path);
                continue;
            }

            if (status.IsDirectory)
            {
                var merge = exists && existing.IsDirectory;
                if (exists && !merge)
                {
                    TreeRemover.DeleteEntry(target, name, path);
                }

                if (!merge)
                {
                    FileSystemCalls.MakeDirectoryAt(target, name, OwnerOnlyDirectoryMode);
                }

                using var sourceChild = FileSystemCalls.OpenAt(source, name, OpenFlags.ReadOnly | OpenFlags.Directory | OpenFlags.NoFollow);
                using var targetChild = FileSystemCalls.OpenAt(target, name, OpenFlags.ReadOnly | OpenFlags.Directory | OpenFlags.NoFollow);
                if (merge && IsOpaque(sourceChild))
                {
                    TreeRemover.DeleteChildren(targetChild, path);
                }

                ApplyDirectory(sourceChild, targetChild, path, depth + 1);

                // A directory this layer only needed as a parent keeps the attributes from below.
                if (!(merge && _implicitDirectories.Contains(path[1..])))
                {
                    // After the children: creating them changed the directory's mtime.
                    CopyAttributes(sourceChild, targetChild, status, removeOthers: merge, _warn);
                }

                continue;
            }

            if (exists)
            {
                TreeRemover.DeleteEntry(target, name, path);
            }

            if (status.Type == FileType.RegularFile)
            {
                CopyRegularFile(source, target, name, path, status);
            }
            else
            {
                CopyEntry(source, name, status, target, name, _warn);
            }
        }
    }

    /// <summary>
    /// Copies one non-directory (a regular file's content, a symlink, a device, FIFO or socket) with
    /// its owner, mode, xattrs and times to <paramref name="targetName"/> of <paramref name="target"/>.
    /// </summary>
    internal static void CopyEntry(SafeFileDescriptor source, string name, FileStatus status, SafeFileDescriptor target, string targetName, Action<string> warn)
    {
        switch (status.Type)
        {
            case FileType.RegularFile:
                CopyFileContent(source, name, status, target, targetName, warn);
                break;
            case FileType.SymbolicLink:
                FileSystemCalls.CreateSymbolicLinkAt(FileSystemCalls.ReadLinkAt(source, name), target, targetName);
                CopyEntryAttributes(source, name, target, targetName, status, warn);
                break;
            case FileType.CharacterDevice or FileType.BlockDevice or FileType.Fifo or FileType.Socket:
                FileSystemCalls.MakeNodeAt(target, targetName, status.Type, OwnerOnlyFileMode, status.DeviceNumber);
                CopyEntryAttributes(source, name, target, targetName, status, warn);
                break;
            default:
                warn($"skipped '{name}': unsupported file type {status.Type}");
                break;
        }
    }

    private void CopyRegularFile(SafeFileDescriptor source, SafeFileDescriptor target, string name, string path, FileStatus status)
    {
        var key = (status.Device, status.Inode);
        if (status.LinkCount > 1 && _hardlinks.TryGetValue(key, out var firstPath))
        {
            var slash = firstPath.LastIndexOf('/');
            using var firstParent = FileSystemCalls.OpenInRoot(_targetRoot, firstPath[..slash], OpenFlags.Path | OpenFlags.Directory);
            FileSystemCalls.LinkAt(firstParent, firstPath[(slash + 1)..], target, name);
            return;
        }

        CopyFileContent(source, name, status, target, name, _warn);
        if (status.LinkCount > 1)
        {
            _hardlinks[key] = path;
        }
    }

    private static void CopyFileContent(SafeFileDescriptor source, string name, FileStatus status, SafeFileDescriptor target, string targetName, Action<string> warn)
    {
        using var input = FileSystemCalls.OpenAt(source, name, OpenFlags.ReadOnly | OpenFlags.NoFollow);
        using var output = FileSystemCalls.OpenAt(target, targetName, OpenFlags.WriteOnly | OpenFlags.Create | OpenFlags.Exclusive | OpenFlags.NoFollow, OwnerOnlyFileMode);
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferSize);
        try
        {
            int read;
            while ((read = FileSystemCalls.Read(input, buffer)) > 0)
            {
                FileSystemCalls.WriteAll(output, buffer.AsSpan(0, read));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        CopyAttributes(input, output, status, removeOthers: false, warn);
    }

    /// <summary>Owner, mode, xattrs and times through open descriptors (regular files, directories).</summary>
    private static void CopyAttributes(SafeFileDescriptor source, SafeFileDescriptor target, FileStatus status, bool removeOthers, Action<string> warn)
    {
        // chown first: it clears setuid/setgid bits and security.capability.
        FileSystemCalls.ChangeOwner(target, status.Uid, status.Gid);
        FileSystemCalls.ChangeMode(target, status.Permissions);
        var wanted = ExtendedAttributes.List(source).Where(n => !IsOverlayAttribute(n)).ToList();
        if (removeOthers)
        {
            foreach (var name in ExtendedAttributes.List(target).Where(n => !IsOverlayAttribute(n)).Except(wanted).ToList())
            {
                ExtendedAttributes.Remove(ProcPath(target) + "/.", name);
            }
        }

        foreach (var name in wanted)
        {
            if (ExtendedAttributes.Get(source, name) is { } value)
            {
                SetAttribute(() => ExtendedAttributes.Set(target, name, value), name, warn);
            }
        }

        FileSystemCalls.SetTimes(target, status.ModificationTime, status.ModificationTime);
    }

    /// <summary>Owner, mode, xattrs and times by name (symlinks and nodes, which can't be opened for writing).</summary>
    private static void CopyEntryAttributes(SafeFileDescriptor source, string name, SafeFileDescriptor target, string targetName, FileStatus status, Action<string> warn)
    {
        FileSystemCalls.ChangeOwnerAt(target, targetName, status.Uid, status.Gid);
        if (!status.IsSymbolicLink)
        {
            FileSystemCalls.ChangeModeAt(target, targetName, status.Permissions);
        }

        foreach (var attribute in ExtendedAttributes.ListAt(source, name).Where(n => !IsOverlayAttribute(n)))
        {
            if (ExtendedAttributes.GetAt(source, name, attribute) is { } value)
            {
                SetAttribute(() => ExtendedAttributes.SetAt(target, targetName, attribute, value), attribute, warn);
            }
        }

        FileSystemCalls.SetTimesAt(target, targetName, status.ModificationTime, status.ModificationTime);
    }

    private static void SetAttribute(Action set, string name, Action<string> warn)
    {
        try
        {
            set();
        }
        catch (NativeCallException e) when (e.Errno == Errno.EOPNOTSUPP)
        {
            warn($"extended attribute {name} not copied: the rootfs file system does not support it");
        }
    }

    private static string ProcPath(SafeFileDescriptor descriptor) => "/proc/self/fd/" + descriptor.Number.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
