using GuestPull.Linux;

namespace GuestPull.Images.Bundles;

/// <summary>
/// Unpacked layer directories (base first, overlayfs-form whiteouts) looked up as overlayfs merges
/// them, without mounting anything: the upper-most layer that has a name decides what it is, a
/// directory merges with the same directory of the layers below until one is opaque, and a whiteout
/// (a 0:0 character device) hides the name. Symlinks are never followed: a path that goes through
/// one is reported as such. Layer content is untrusted, so every step is an <c>O_NOFOLLOW</c> lookup
/// relative to a directory descriptor.
/// </summary>
internal sealed class LayerStack : IDisposable
{
    private const string OpaqueAttribute = "trusted.overlay.opaque";

    private readonly List<SafeFileDescriptor> _roots;

    private LayerStack(IReadOnlyList<string> directories, List<SafeFileDescriptor> roots)
    {
        Directories = directories;
        _roots = roots;
    }

    /// <summary>The layer directories, base first.</summary>
    public IReadOnlyList<string> Directories { get; }

    public int Count => _roots.Count;

    public static LayerStack Open(IReadOnlyList<string> directories)
    {
        var roots = new List<SafeFileDescriptor>(directories.Count);
        try
        {
            foreach (var directory in directories)
            {
                roots.Add(FileSystemCalls.Open(directory, OpenFlags.ReadOnly | OpenFlags.Directory));
            }
        }
        catch
        {
            roots.ForEach(r => r.Dispose());
            throw;
        }

        return new LayerStack(directories, roots);
    }

    public void Dispose() => _roots.ForEach(r => r.Dispose());

    /// <summary>Whether a 0:0 character device is a placeholder for a link into a lower layer rather than a whiteout.</summary>
    public static bool IsLowerLayerHardLink(SafeFileDescriptor directory, string name, FileStatus status)
        => IsWhiteoutDevice(status) && ExtendedAttributes.GetAt(directory, name, Unpack.LowerLayerHardLinks.TargetAttribute) is not null;

    public static bool IsWhiteoutDevice(FileStatus status) => status.Type == FileType.CharacterDevice && status.DeviceNumber == 0;

    /// <summary>What <paramref name="path"/> (relative, normalised) is in the merge of layers <c>[0, top)</c>.</summary>
    public StackLookup Lookup(string path, int top)
    {
        var components = path.Split('/');
        var candidates = new List<(int Layer, SafeFileDescriptor Directory)>();
        for (var layer = top - 1; layer >= 0; layer--)
        {
            candidates.Add((layer, _roots[layer]));
            if (ExtendedAttributes.Get(_roots[layer], OpaqueAttribute) is [(byte)'y'])
            {
                break;
            }
        }

        var owned = new List<SafeFileDescriptor>();
        try
        {
            var prefix = string.Empty;
            for (var index = 0; index < components.Length; index++)
            {
                var name = components[index];
                prefix = prefix.Length == 0 ? name : prefix + "/" + name;
                var last = index == components.Length - 1;
                var next = new List<(int Layer, SafeFileDescriptor Directory)>();
                foreach (var (layer, directory) in candidates)
                {
                    if (!FileSystemCalls.TryStatAt(directory, name, out var status))
                    {
                        continue;
                    }

                    if (status.IsDirectory && !last)
                    {
                        var child = FileSystemCalls.OpenAt(directory, name, OpenFlags.Path | OpenFlags.Directory | OpenFlags.NoFollow);
                        owned.Add(child);
                        next.Add((layer, child));
                        if (ExtendedAttributes.GetAt(directory, name, OpaqueAttribute) is [(byte)'y'])
                        {
                            break;
                        }

                        continue;
                    }

                    if (next.Count > 0)
                    {
                        // A non-directory below a directory of an upper layer is hidden, with all below it.
                        break;
                    }

                    if (IsWhiteoutDevice(status) && !IsLowerLayerHardLink(directory, name, status))
                    {
                        return new StackLookup(StackLookupKind.Missing, -1, default, prefix);
                    }

                    if (last)
                    {
                        return status.IsDirectory
                            ? new StackLookup(StackLookupKind.Directory, layer, status, prefix)
                            : new StackLookup(StackLookupKind.Found, layer, status, prefix) { IsLowerLayerHardLink = IsWhiteoutDevice(status) };
                    }

                    return new StackLookup(status.IsSymbolicLink ? StackLookupKind.ThroughSymbolicLink : StackLookupKind.ThroughNonDirectory, layer, status, prefix);
                }

                if (next.Count == 0)
                {
                    return new StackLookup(StackLookupKind.Missing, -1, default, prefix);
                }

                candidates = next;
            }

            return new StackLookup(StackLookupKind.Missing, -1, default, prefix);
        }
        finally
        {
            owned.ForEach(d => d.Dispose());
        }
    }

    /// <summary>Opens the directory holding <paramref name="path"/> in one layer, directory by directory, never following a symlink.</summary>
    public SafeFileDescriptor OpenParent(int layer, string path)
    {
        var directory = FileSystemCalls.OpenAt(_roots[layer], ".", OpenFlags.ReadOnly | OpenFlags.Directory | OpenFlags.NoFollow);
        var slash = path.LastIndexOf('/');
        if (slash < 0)
        {
            return directory;
        }

        foreach (var name in path[..slash].Split('/'))
        {
            using var parent = directory;
            directory = FileSystemCalls.OpenAt(parent, name, OpenFlags.ReadOnly | OpenFlags.Directory | OpenFlags.NoFollow);
        }

        return directory;
    }

    /// <summary>Every non-directory path of one layer that is the inode <paramref name="inode"/> (its other hard links).</summary>
    public List<string> FindLinks(int layer, ulong inode)
    {
        var found = new List<string>();
        LayerTreeWalker.Walk(_roots[layer], (_, _, path, status) =>
        {
            if (status.Inode == inode)
            {
                found.Add(path);
            }
        });
        found.Sort(StringComparer.Ordinal);
        return found;
    }
}
