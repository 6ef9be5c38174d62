using GuestPull.Linux;

namespace GuestPull.Images.Bundles;

/// <summary>
/// Visits every non-directory entry of one unpacked layer, depth first, without following symlinks:
/// layer content is untrusted, so each directory is opened <c>O_NOFOLLOW</c> relative to its parent's
/// descriptor, and nesting deeper than <see cref="LayerFlattener.MaxDepth"/> is an error rather than a
/// stack overflow.
/// </summary>
internal static class LayerTreeWalker
{
    /// <summary>What a walk does with one entry: its directory's descriptor, its name there, its path from the layer root and its status.</summary>
    public delegate void EntryVisitor(SafeFileDescriptor directory, string name, string path, FileStatus status);

    /// <summary>Calls <paramref name="visit"/> for every entry below <paramref name="root"/> that is not a directory.</summary>
    public static void Walk(SafeFileDescriptor root, EntryVisitor visit) => Walk(root, string.Empty, visit, 0);

    private static void Walk(SafeFileDescriptor directory, string prefix, EntryVisitor visit, int depth)
    {
        if (depth > LayerFlattener.MaxDepth)
        {
            throw new IOException($"layer directories nested deeper than {LayerFlattener.MaxDepth} at '{prefix}'");
        }

        foreach (var name in FileSystemCalls.ReadDirectoryNames(directory))
        {
            var status = FileSystemCalls.StatAt(directory, name);
            var path = prefix.Length == 0 ? name : prefix + "/" + name;
            if (status.IsDirectory)
            {
                using var child = FileSystemCalls.OpenAt(directory, name, OpenFlags.ReadOnly | OpenFlags.Directory | OpenFlags.NoFollow);
                Walk(child, path, visit, depth + 1);
            }
            else
            {
                visit(directory, name, path, status);
            }
        }
    }
}
