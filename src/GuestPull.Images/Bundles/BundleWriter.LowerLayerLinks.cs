using GuestPull.Linux;
using GuestPull.Unpack;

namespace GuestPull.Images.Bundles;

public sealed partial class BundleWriter
{
    /// <summary>The directory next to a flattened rootfs that holds the targets of a layer's links into lower layers while the layer is applied.</summary>
    private const string HeldTargetsDirectoryName = ".lower-links";

    /// <summary>Resolves the links into lower layers of <paramref name="layers"/>, or null when no layer has one.</summary>
    /// <exception cref="InvalidLayerException">A link cannot be resolved; the message names the layer and the entry.</exception>
    private static LowerLayerLinkPlan? ResolveLowerLayerLinks(List<string> layers, out LayerStack? stack)
    {
        stack = null;
        if (!layers.Any(LowerLayerLinkPlan.HasLinks))
        {
            return null;
        }

        stack = LayerStack.Open(layers);
        try
        {
            return LowerLayerLinkPlan.Resolve(stack);
        }
        catch (LowerLayerLinkException e)
        {
            stack.Dispose();
            stack = null;
            throw new InvalidLayerException($"layer '{layers[e.Layer]}': {e.Message}", e);
        }
    }

    /// <summary>
    /// Overlay form: a link into a lower layer is a placeholder in its layer, which the mount shows as
    /// nothing. Every file a visible link resolves to is copied into the bundle's upper directory under
    /// one of its visible names and linked under the others (the target's own name included where it
    /// still shows), so the merged tree has the one file with all its names, as umoci's unpack does.
    /// Parents take the merged view's attributes unless already prepared.
    /// </summary>
    private void PrepareLowerLayerLinks(LowerLayerLinkPlan plan, LayerStack stack, SafeFileDescriptor view, SafeFileDescriptor upperRoot, string upper)
    {
        foreach (var file in plan.CopyUps)
        {
            string? first = null;
            foreach (var name in file.Names)
            {
                var (parentPath, baseName) = Split(name);
                EnsureUpperDirectories(view, upperRoot, upper, parentPath);
                using var parent = OpenUpperDirectory(upperRoot, parentPath);
                if (first is null)
                {
                    using var source = stack.OpenParent(file.Origin.Layer, file.Origin.Path);
                    LayerFlattener.CopyEntry(source, Split(file.Origin.Path).Name, file.Origin.Status, parent, baseName, warning => LogFlattenWarning(_logger, stack.Directories[file.Origin.Layer], warning));
                    first = name;
                }
                else
                {
                    var (firstParentPath, firstName) = Split(first);
                    using var firstParent = OpenUpperDirectory(upperRoot, firstParentPath);
                    FileSystemCalls.LinkAt(firstParent, firstName, parent, baseName);
                }
            }
        }
    }

    /// <summary>
    /// Flatten form, before a layer is applied: each of its links' targets, as the rootfs holds it now
    /// (the layers below), is linked into a private directory next to the rootfs, since the layer may
    /// replace or delete the target's own name. Returns the held targets with their link names.
    /// </summary>
    private static List<(string Held, List<string> Names)> HoldLowerLayerLinkTargets(LayerStack stack, int layer, SafeFileDescriptor rootfs, string heldDirectory)
    {
        var held = new List<(string, List<string>)>();
        Directory.CreateDirectory(heldDirectory, PrivateDirectoryMode);
        using var holding = FileSystemCalls.Open(heldDirectory, OpenFlags.Path | OpenFlags.Directory);
        foreach (var placeholder in LowerLayerLinkPlan.FindPlaceholders(stack, layer))
        {
            var (parentPath, name) = Split(placeholder.Target);
            // The plan resolved every target in the layers below; the rootfs is their merge.
            var errno = FileSystemCalls.TryOpenat2(rootfs, parentPath.Length == 0 ? "." : parentPath, OpenFlags.Path | OpenFlags.Directory, 0, NoLinks | ResolveFlags.Beneath, out var parent);
            if (errno != 0)
            {
                throw new InvalidLayerException($"layer '{stack.Directories[layer]}': hard link '{placeholder.Names[0]}' points at '{placeholder.Target}', whose directory the flattened layers below do not hold ({Errno.Name(errno)})");
            }

            using (parent)
            {
                var heldName = held.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
                errno = FileSystemCalls.TryLinkAt(parent!, name, holding, heldName);
                if (errno != 0)
                {
                    throw new InvalidLayerException($"layer '{stack.Directories[layer]}': hard link '{placeholder.Names[0]}' points at '{placeholder.Target}', which the flattened layers below do not hold ({Errno.Name(errno)})");
                }

                held.Add((heldName, placeholder.Names));
            }
        }

        return held;
    }

    /// <summary>Flatten form, after the layer is applied (its placeholders deleted the names below): links each name to its held target.</summary>
    private static void LinkHeldTargets(List<(string Held, List<string> Names)> held, SafeFileDescriptor rootfs, string heldDirectory)
    {
        using var holding = FileSystemCalls.Open(heldDirectory, OpenFlags.Path | OpenFlags.Directory);
        foreach (var (heldName, names) in held)
        {
            foreach (var name in names)
            {
                var (parentPath, baseName) = Split(name);
                var errno = FileSystemCalls.TryOpenat2(rootfs, parentPath.Length == 0 ? "." : parentPath, OpenFlags.Path | OpenFlags.Directory, 0, NoLinks | ResolveFlags.Beneath, out var parent);
                if (errno != 0)
                {
                    throw new NativeCallException(errno, "openat2", parentPath);
                }

                using (parent)
                {
                    FileSystemCalls.LinkAt(holding, heldName, parent!, baseName);
                }
            }

            FileSystemCalls.UnlinkAt(holding, heldName);
        }
    }

    private static void EnsureUpperDirectories(SafeFileDescriptor view, SafeFileDescriptor upperRoot, string upper, string directory)
    {
        if (directory.Length == 0)
        {
            return;
        }

        // Ancestors first; those already in the upper directory stay as prepared.
        var parts = directory.Split('/');
        for (var depth = 1; depth <= parts.Length; depth++)
        {
            var current = string.Join('/', parts.Take(depth));
            if (!IsDirectory(upperRoot, current))
            {
                CopyDirectory(view, current, Path.Combine(upper, current));
            }
        }
    }

    private static SafeFileDescriptor OpenUpperDirectory(SafeFileDescriptor upperRoot, string path)
    {
        var errno = FileSystemCalls.TryOpenat2(upperRoot, path.Length == 0 ? "." : path, OpenFlags.Path | OpenFlags.Directory, 0, NoLinks, out var directory);
        return errno == 0 ? directory! : throw new NativeCallException(errno, "openat2", path);
    }

    private static (string Parent, string Name) Split(string path)
    {
        var slash = path.LastIndexOf('/');
        return slash < 0 ? (string.Empty, path) : (path[..slash], path[(slash + 1)..]);
    }
}
