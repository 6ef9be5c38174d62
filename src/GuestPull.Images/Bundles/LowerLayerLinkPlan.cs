using System.Text;
using GuestPull.Linux;
using GuestPull.Unpack;

namespace GuestPull.Images.Bundles;

/// <summary>
/// The hard links into lower layers of a stack of layers (see <see cref="LowerLayerHardLinks"/>),
/// resolved the way umoci and containerd resolve them when they unpack the layers one onto the other:
/// each link is the file its target names in the layers below its own, so links, links to links and
/// the target's own names are one file. Resolution refuses a target no layer below holds, a directory,
/// and a path through a symlink or a file of the layers below. <see cref="CopyUps"/> lists, per linked
/// file, every name under which the merged tree shows it.
/// </summary>
internal sealed class LowerLayerLinkPlan
{
    private LowerLayerLinkPlan(List<LinkedFile> copyUps)
    {
        CopyUps = copyUps;
    }

    /// <summary>Each file some visible link resolves to, with all its visible names (sorted).</summary>
    public IReadOnlyList<LinkedFile> CopyUps { get; }

    /// <summary>Whether a layer directory holds links into lower layers (its root says so).</summary>
    public static bool HasLinks(string layerDirectory)
        => ExtendedAttributes.Get(layerDirectory, LowerLayerHardLinks.LayerAttribute) is not null;

    /// <summary>Resolves every link of the stack.</summary>
    /// <exception cref="LowerLayerLinkException">A link cannot be resolved; names the layer and the entry.</exception>
    public static LowerLayerLinkPlan Resolve(LayerStack stack)
    {
        var placeholders = new Dictionary<(int Layer, ulong Inode), Placeholder>();
        for (var layer = 0; layer < stack.Count; layer++)
        {
            if (HasLinks(stack.Directories[layer]))
            {
                foreach (var placeholder in FindPlaceholders(stack, layer))
                {
                    placeholders[(layer, placeholder.Inode)] = placeholder;
                }
            }
        }

        var files = new Dictionary<(int Layer, ulong Inode), LinkedFile>();
        foreach (var placeholder in placeholders.Values.OrderBy(p => p.Layer).ThenBy(p => p.Names[0], StringComparer.Ordinal))
        {
            var origin = OriginOf(stack, placeholders, placeholder);
            foreach (var name in placeholder.Names)
            {
                var seen = stack.Lookup(name, stack.Count);
                if (seen.Kind == StackLookupKind.Found && seen.Layer == placeholder.Layer && seen.Status.Inode == placeholder.Inode)
                {
                    if (!files.TryGetValue((origin.Layer, origin.Status.Inode), out var file))
                    {
                        files[(origin.Layer, origin.Status.Inode)] = file = new LinkedFile(origin);
                    }

                    file.Names.Add(name);
                }
            }
        }

        foreach (var file in files.Values)
        {
            // The target's own names (and its other hard links in its layer) are the same file where they show.
            var own = file.Origin.Status.LinkCount > 1 ? stack.FindLinks(file.Origin.Layer, file.Origin.Status.Inode) : [file.Origin.Path];
            foreach (var name in own)
            {
                var seen = stack.Lookup(name, stack.Count);
                if (seen.Kind == StackLookupKind.Found && seen.Layer == file.Origin.Layer && seen.Status.Inode == file.Origin.Status.Inode)
                {
                    file.Names.Add(name);
                }
            }

            file.Names.Sort(StringComparer.Ordinal);
        }

        return new LowerLayerLinkPlan([.. files.Values.OrderBy(f => f.Names[0], StringComparer.Ordinal)]);
    }

    /// <summary>The placeholders of one layer, grouped by inode (links to a placeholder of the same layer share it).</summary>
    public static List<Placeholder> FindPlaceholders(LayerStack stack, int layer)
    {
        using var root = FileSystemCalls.Open(stack.Directories[layer], OpenFlags.ReadOnly | OpenFlags.Directory);
        var byInode = new Dictionary<ulong, Placeholder>();
        LayerTreeWalker.Walk(root, (directory, name, path, status) =>
        {
            if (LayerStack.IsWhiteoutDevice(status)
                && ExtendedAttributes.GetAt(directory, name, LowerLayerHardLinks.TargetAttribute) is { } target)
            {
                if (!byInode.TryGetValue(status.Inode, out var placeholder))
                {
                    byInode[status.Inode] = placeholder = new Placeholder(layer, status.Inode, Encoding.UTF8.GetString(target));
                }

                placeholder.Names.Add(path);
            }
        });
        foreach (var placeholder in byInode.Values)
        {
            placeholder.Names.Sort(StringComparer.Ordinal);
        }

        return [.. byInode.Values];
    }

    private static LinkOrigin OriginOf(LayerStack stack, Dictionary<(int Layer, ulong Inode), Placeholder> placeholders, Placeholder placeholder)
    {
        if (placeholder.Origin is { } known)
        {
            return known;
        }

        var entry = placeholder.Names[0];
        var target = placeholder.Target;
        var found = stack.Lookup(target, placeholder.Layer);
        LinkOrigin origin;
        switch (found.Kind)
        {
            case StackLookupKind.Found when found.IsLowerLayerHardLink:
                // A link to a link of a layer below: both are the file that one resolves to.
                if (!placeholders.TryGetValue((found.Layer, found.Status.Inode), out var lower))
                {
                    throw new LowerLayerLinkException(placeholder.Layer, $"hard link '{entry}' points at '{target}', which no layer below it holds");
                }

                origin = OriginOf(stack, placeholders, lower);
                break;
            case StackLookupKind.Found:
                origin = new LinkOrigin(found.Layer, target, found.Status);
                break;
            case StackLookupKind.Directory:
                throw new LowerLayerLinkException(placeholder.Layer, $"hard link '{entry}' points at directory '{target}'");
            case StackLookupKind.ThroughSymbolicLink:
                throw new LowerLayerLinkException(placeholder.Layer, $"hard link '{entry}' points at '{target}' through '{found.Component}', a symbolic link in the layers below (links into lower layers do not follow symbolic links)");
            case StackLookupKind.ThroughNonDirectory:
                throw new LowerLayerLinkException(placeholder.Layer, $"hard link '{entry}' points at '{target}' through '{found.Component}', which is not a directory in the layers below");
            default:
                throw new LowerLayerLinkException(placeholder.Layer, $"hard link '{entry}' points at '{target}', which no layer below it holds");
        }

        placeholder.Origin = origin;
        return origin;
    }

    /// <summary>One placeholder inode of a layer: the link's names in that layer and the target they name.</summary>
    internal sealed class Placeholder(int layer, ulong inode, string target)
    {
        public int Layer { get; } = layer;

        public ulong Inode { get; } = inode;

        public string Target { get; } = target;

        public List<string> Names { get; } = [];

        public LinkOrigin? Origin { get; set; }
    }

    /// <summary>A file some link resolves to and every name the merged tree shows it under.</summary>
    internal sealed class LinkedFile(LinkOrigin origin)
    {
        public LinkOrigin Origin { get; } = origin;

        public List<string> Names { get; } = [];
    }
}

/// <summary>Where a link into a lower layer leads: a non-directory of layer <see cref="Layer"/> at <see cref="Path"/>.</summary>
internal readonly record struct LinkOrigin(int Layer, string Path, FileStatus Status);
