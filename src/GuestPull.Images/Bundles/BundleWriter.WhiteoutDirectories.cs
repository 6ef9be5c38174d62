using GuestPull.Linux;

namespace GuestPull.Images.Bundles;

public sealed partial class BundleWriter
{
    private const int MaxWhiteoutScanDepth = 4096;

    /// <summary>
    /// Prepares, in the bundle's upper directory, what the overlay mount of the layers alone would get
    /// wrong, reading attributes from a read-only mount of that merge (the view):
    /// overlayfs hides a lower layer's whiteout only in a directory it merges (one that exists in more
    /// than one layer); in a directory that exists in one layer alone (new there, opaque, or over a
    /// file below) readdir lists the whiteout as a 0:0 character device. Layers are unpacked each on
    /// its own, so their whiteouts can land in such directories. Every directory holding a whiteout
    /// that is a directory in the merged view gets a copy in the bundle's upper directory (with the
    /// merged view's attributes), which makes it a merged directory: its whiteouts are then hidden, as
    /// flattening drops them. Links into lower layers are copied up (see <see cref="PrepareLowerLayerLinks"/>).
    /// </summary>
    private void PrepareFromMergedView(List<string> layers, string upper, string mountPoint, LowerLayerLinkPlan? links, LayerStack? stack)
    {
        var directories = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var layer in layers)
        {
            using var root = FileSystemCalls.Open(layer, OpenFlags.ReadOnly | OpenFlags.Directory);
            CollectWhiteoutParents(root, string.Empty, directories, 0);
        }

        directories.Remove(string.Empty);
        if (directories.Count == 0 && (links is null || links.CopyUps.Count == 0))
        {
            return;
        }

        // The merged view of the layers alone (overlayfs wants two lowers without an upper directory).
        var mounted = layers.Count > 1;
        if (mounted)
        {
            var errno = Mounts.TryMount("overlay", mountPoint, "overlay", Mounts.ReadOnly, "lowerdir=" + string.Join(':', Enumerable.Reverse(layers)));
            if (errno is Errno.EINVAL or Mounts.ErrnoNoDevice or Errno.EPERM)
            {
                // The bundle's own mount will be refused the same way and fall back to flattening.
                return;
            }

            if (errno != 0)
            {
                throw new NativeCallException(errno, "mount", "overlay", mountPoint);
            }
        }

        try
        {
            using var view = FileSystemCalls.Open(mounted ? mountPoint : layers[0], OpenFlags.Path | OpenFlags.Directory);
            using var upperRoot = FileSystemCalls.Open(upper, OpenFlags.Path | OpenFlags.Directory);
            foreach (var directory in directories)
            {
                if (IsDirectory(view, directory))
                {
                    EnsureUpperDirectories(view, upperRoot, upper, directory);
                }
            }

            if (links is not null)
            {
                PrepareLowerLayerLinks(links, stack!, view, upperRoot, upper);
            }
        }
        finally
        {
            if (mounted)
            {
                // Detached rather than unmounted: a process another thread forks in this window holds a
                // copy of the view's descriptors until it execs, and a plain umount2 would then fail with
                // EBUSY. The read-only view is unreachable once detached and goes when the last copy closes.
                Mounts.Unmount(mountPoint, Mounts.UnmountDetach | Mounts.UnmountNoFollow);
            }
        }
    }

    private static void CollectWhiteoutParents(SafeFileDescriptor directory, string path, SortedSet<string> parents, int depth)
    {
        if (depth > MaxWhiteoutScanDepth)
        {
            throw new IOException($"layer directories nested deeper than {MaxWhiteoutScanDepth} at '{path}'");
        }

        foreach (var name in FileSystemCalls.ReadDirectoryNames(directory))
        {
            var status = FileSystemCalls.StatAt(directory, name);
            if (status.Type == FileType.CharacterDevice && status.DeviceNumber == 0)
            {
                parents.Add(path);
            }
            else if (status.IsDirectory)
            {
                using var child = FileSystemCalls.OpenAt(directory, name, OpenFlags.ReadOnly | OpenFlags.Directory | OpenFlags.NoFollow);
                CollectWhiteoutParents(child, path.Length == 0 ? name : path + "/" + name, parents, depth + 1);
            }
        }
    }
}
