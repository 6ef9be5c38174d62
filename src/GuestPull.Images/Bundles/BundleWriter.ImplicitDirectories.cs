using GuestPull.Images.Store;
using GuestPull.Linux;

namespace GuestPull.Images.Bundles;

public sealed partial class BundleWriter
{
    /// <summary>
    /// In an overlay mount a directory shows the attributes of its upper-most copy. When that copy is
    /// only an implicit parent (see <see cref="ImplicitDirectoryMarker"/>), the real attributes are
    /// those of the nearest layer below that has an entry for it: the directory, and each of its
    /// ancestors, is made in the bundle's upper directory with those attributes before mounting.
    /// </summary>
    private static void PrepareImplicitDirectories(List<string> layers, string upper)
    {
        var implicitByLayer = layers.Select(ImplicitDirectoryMarker.Read).ToList();
        var candidates = implicitByLayer.SelectMany(set => set).Where(p => p != ImplicitDirectoryMarker.Root).ToHashSet(StringComparer.Ordinal);
        if (candidates.Count == 0)
        {
            return;
        }

        var roots = layers.Select(l => FileSystemCalls.Open(l, OpenFlags.Path | OpenFlags.Directory)).ToList();
        try
        {
            Prepare(roots, implicitByLayer, candidates, upper);
        }
        finally
        {
            roots.ForEach(r => r.Dispose());
        }
    }

    /// <summary>
    /// The merged root of an overlay mount shows the upper directory's attributes: it gets those of
    /// the upper-most layer with a <c>./</c> entry, and 0755 root when none has one. (Layers stored
    /// where the list could not be recorded count as having the entry: their root holds the entry's
    /// attributes, or the unpacker's 0755 root.)
    /// </summary>
    private static void PrepareRoot(List<string> layers, string upper)
    {
        using var to = FileSystemCalls.Open(upper, OpenFlags.ReadOnly | OpenFlags.Directory | OpenFlags.NoFollow);
        for (var i = layers.Count - 1; i >= 0; i--)
        {
            if (!ImplicitDirectoryMarker.Read(layers[i]).Contains(ImplicitDirectoryMarker.Root))
            {
                using var layer = FileSystemCalls.Open(layers[i], OpenFlags.Path | OpenFlags.Directory);
                CopyDirectory(layer, ".", to);
                return;
            }
        }

        FileSystemCalls.ChangeOwner(to, 0, 0);
        FileSystemCalls.ChangeMode(to, RootfsRootMode);
    }

    private static void Prepare(List<SafeFileDescriptor> layers, List<HashSet<string>> implicitByLayer, HashSet<string> candidates, string upper)
    {
        var prepared = new HashSet<string>(StringComparer.Ordinal);
        foreach (var path in candidates.Order(StringComparer.Ordinal))
        {
            var top = TopmostLayerWithDirectory(layers, path, layers.Count - 1);
            if (top < 0 || !implicitByLayer[top].Contains(path) || Source(layers, implicitByLayer, path) is not { } source || source == top)
            {
                continue;
            }

            // Ancestors first: each must show its own right attributes once it exists in the upper directory.
            var parts = path.Split('/');
            for (var depth = 1; depth <= parts.Length; depth++)
            {
                var current = string.Join('/', parts.Take(depth));
                if (prepared.Add(current) && Source(layers, implicitByLayer, current) is { } from)
                {
                    CopyDirectory(layers[from], current, Path.Combine(upper, current));
                }
            }
        }
    }

    /// <summary>The upper-most layer with an explicit entry for the directory, else the upper-most holding it at all.</summary>
    private static int? Source(List<SafeFileDescriptor> layers, List<HashSet<string>> implicitByLayer, string path)
    {
        int? anyLayer = null;
        for (var i = layers.Count - 1; i >= 0; i--)
        {
            if (!IsDirectory(layers[i], path))
            {
                continue;
            }

            anyLayer ??= i;
            if (!implicitByLayer[i].Contains(path))
            {
                return i;
            }
        }

        return anyLayer;
    }

    private static int TopmostLayerWithDirectory(List<SafeFileDescriptor> layers, string path, int from)
    {
        for (var i = from; i >= 0; i--)
        {
            if (IsDirectory(layers[i], path))
            {
                return i;
            }
        }

        return -1;
    }

    // Layer content is untrusted: no component of the path may be a symlink (overlayfs doesn't follow
    // one in a lower layer either; it hides what is below).
    private const ResolveFlags NoLinks = ResolveFlags.NoSymlinks | ResolveFlags.NoMagicLinks;

    private static bool IsDirectory(SafeFileDescriptor layer, string path)
    {
        if (FileSystemCalls.TryOpenat2(layer, path, OpenFlags.Path | OpenFlags.Directory | OpenFlags.NoFollow, 0, NoLinks, out var descriptor) != 0)
        {
            return false;
        }

        descriptor!.Dispose();
        return true;
    }

    private static void CopyDirectory(SafeFileDescriptor layer, string path, string target)
    {
        Directory.CreateDirectory(target);
        using var to = FileSystemCalls.Open(target, OpenFlags.ReadOnly | OpenFlags.Directory | OpenFlags.NoFollow);
        CopyDirectory(layer, path, to);
    }

    private static void CopyDirectory(SafeFileDescriptor layer, string path, SafeFileDescriptor to)
    {
        var errno = FileSystemCalls.TryOpenat2(layer, path, OpenFlags.ReadOnly | OpenFlags.Directory | OpenFlags.NoFollow, 0, NoLinks, out var opened);
        if (errno != 0)
        {
            throw new NativeCallException(errno, "openat2", path);
        }

        using var from = opened!;
        var status = FileSystemCalls.Stat(from);
        FileSystemCalls.ChangeOwner(to, status.Uid, status.Gid);
        FileSystemCalls.ChangeMode(to, status.Permissions);
        foreach (var name in ExtendedAttributes.List(from))
        {
            if (name.StartsWith("trusted.overlay.", StringComparison.Ordinal) || ImplicitDirectoryMarker.IsBookkeeping(name))
            {
                continue;
            }

            if (ExtendedAttributes.Get(from, name) is { } value)
            {
                ExtendedAttributes.Set(to, name, value);
            }
        }

        FileSystemCalls.SetTimes(to, status.ModificationTime, status.ModificationTime);
    }
}
