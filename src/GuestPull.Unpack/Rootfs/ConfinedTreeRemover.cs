using GuestPull.Linux;

namespace GuestPull.Unpack.Rootfs;

/// <summary>
/// Removal inside a rootfs being unpacked: <see cref="TreeRemover"/> (descriptor-based, never
/// following a symlink) with the layer depth limit, a tree too deep reported as an invalid layer.
/// </summary>
internal static class ConfinedTreeRemover
{
    /// <summary>Deeper trees are refused: each level holds one descriptor open.</summary>
    public const int MaxDepth = 1024;

    /// <summary>Removes <paramref name="name"/> (recursively if a directory); a missing name is fine.</summary>
    public static void Remove(SafeFileDescriptor parent, string name, string pathForMessages)
    {
        try
        {
            TreeRemover.DeleteEntry(parent, name, pathForMessages, MaxDepth);
        }
        catch (DirectoryTooDeepException e)
        {
            throw new InvalidLayerException(e.Message, e);
        }
    }
}
