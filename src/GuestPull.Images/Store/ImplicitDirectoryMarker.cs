using System.Text;
using GuestPull.Linux;

namespace GuestPull.Images.Store;

/// <summary>
/// Records, on a stored layer's root directory, the parent directories the layer needed but had no
/// entry for. In the layer's own directory they carry default attributes (0755, root, no xattrs),
/// which must not hide the real attributes from the layers below when the layers are stacked; the
/// bundle writer reads this list to take those attributes from below instead. The attribute sits on
/// the layer's root, which neither an overlay mount nor a flattened rootfs exposes.
/// </summary>
internal static class ImplicitDirectoryMarker
{
    /// <summary>The extended attribute's name.</summary>
    public const string AttributeName = "user.guestpull.implicit-dirs";

    // ext4 keeps all of an inode's xattrs in one 4 KiB block: a layer with more implicit parents
    // than fit in 3 KiB is cut there, and the rest keep default attributes (logged by the caller).
    // Images rarely have any: umoci and Docker write the parent entry of whatever they change.
    private const int MaxValueBytes = 3 * 1024;

    /// <summary>Stands for the layer's root directory in the list: the layer had no <c>./</c> entry.</summary>
    public const string Root = ".";

    /// <summary>
    /// Writes what an unpacked layer needed but had no entry for: its implicit parents and, first, its
    /// root when the tar had no <c>./</c> entry. Returns false when the list had to be cut short.
    /// </summary>
    public static bool Write(string layerDirectory, Unpack.LayerApplyResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return Write(layerDirectory, result.HasRootEntry ? result.ImplicitDirectories : [Root, .. result.ImplicitDirectories]);
    }

    /// <summary>Writes the list; returns false when it had to be cut short.</summary>
    public static bool Write(string layerDirectory, IReadOnlyList<string> paths)
    {
        if (paths.Count == 0)
        {
            return true;
        }

        var value = new StringBuilder();
        var complete = true;
        foreach (var path in paths)
        {
            if (Encoding.UTF8.GetByteCount(path) + value.Length + 1 > MaxValueBytes)
            {
                complete = false;
                break;
            }

            value.Append(path).Append('\0');
        }

        try
        {
            ExtendedAttributes.Set(layerDirectory, AttributeName, Encoding.UTF8.GetBytes(value.ToString()));
        }
        catch (NativeCallException ex) when (ex.Errno == Errno.EOPNOTSUPP)
        {
            // A store on a file system without user.* xattrs (tmpfs before Linux 6.6, the guest VM's
            // case): the list is cut at nothing, and every implicit parent keeps default attributes.
            return false;
        }

        return complete;
    }

    /// <summary>The implicit directories of a stored layer (relative paths, no leading slash; <see cref="Root"/> for the root).</summary>
    public static HashSet<string> Read(string layerDirectory)
    {
        byte[]? value;
        try
        {
            value = ExtendedAttributes.Get(layerDirectory, AttributeName);
        }
        catch (NativeCallException ex) when (ex.Errno == Errno.EOPNOTSUPP)
        {
            // No user.* xattrs on this file system, so Write recorded nothing here.
            value = null;
        }

        return value is null
            ? []
            : [.. Encoding.UTF8.GetString(value).Split('\0', StringSplitOptions.RemoveEmptyEntries)];
    }

    /// <summary>Whether an xattr name is this bookkeeping, which never belongs in a rootfs.</summary>
    public static bool IsBookkeeping(string name)
        => name == AttributeName || name.StartsWith(Unpack.LowerLayerHardLinks.AttributePrefix, StringComparison.Ordinal);
}
