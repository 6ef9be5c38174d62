using System.Runtime.InteropServices;
using GuestPull.Linux.Interop;

namespace GuestPull.Linux;

/// <content>Creating, linking, removing and renaming directory entries.</content>
public static partial class FileSystemCalls
{
    /// <summary>mkdirat(2). Returns 0 or the errno.</summary>
    /// <param name="directory">The parent directory.</param>
    /// <param name="name">The new directory's name.</param>
    /// <param name="mode">Its permissions (the umask applies).</param>
    public static int TryMakeDirectoryAt(SafeFileDescriptor directory, string name, uint mode)
        => LibC.MkdirAt(directory, name, mode) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>mkdirat(2).</summary>
    /// <param name="directory">The parent directory.</param>
    /// <param name="name">The new directory's name.</param>
    /// <param name="mode">Its permissions (the umask applies).</param>
    public static void MakeDirectoryAt(SafeFileDescriptor directory, string name, uint mode)
        => ThrowIfFailed(TryMakeDirectoryAt(directory, name, mode), "mkdirat", name);

    /// <summary>mknodat(2) for devices, FIFOs and sockets. Returns 0 or the errno.</summary>
    /// <param name="directory">The parent directory.</param>
    /// <param name="name">The node's name.</param>
    /// <param name="type">The node type.</param>
    /// <param name="permissions">Its permissions (the umask applies).</param>
    /// <param name="device">For devices, the <see cref="MakeDevice"/> number.</param>
    public static int TryMakeNodeAt(SafeFileDescriptor directory, string name, FileType type, uint permissions, ulong device)
        => LibC.MknodAt(directory, name, (uint)type | (permissions & 0xFFF), device) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>mknodat(2).</summary>
    /// <param name="directory">The parent directory.</param>
    /// <param name="name">The node's name.</param>
    /// <param name="type">The node type.</param>
    /// <param name="permissions">Its permissions (the umask applies).</param>
    /// <param name="device">For devices, the <see cref="MakeDevice"/> number.</param>
    public static void MakeNodeAt(SafeFileDescriptor directory, string name, FileType type, uint permissions, ulong device)
        => ThrowIfFailed(TryMakeNodeAt(directory, name, type, permissions, device), "mknodat", name);

    /// <summary>symlinkat(2): creates <paramref name="name"/> pointing at <paramref name="target"/> (stored as is). Returns 0 or the errno.</summary>
    /// <param name="target">The link's content.</param>
    /// <param name="directory">The parent directory.</param>
    /// <param name="name">The link's name.</param>
    public static int TryCreateSymbolicLinkAt(string target, SafeFileDescriptor directory, string name)
        => LibC.SymlinkAt(target, directory, name) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>symlinkat(2).</summary>
    /// <param name="target">The link's content.</param>
    /// <param name="directory">The parent directory.</param>
    /// <param name="name">The link's name.</param>
    public static void CreateSymbolicLinkAt(string target, SafeFileDescriptor directory, string name)
        => ThrowIfFailed(TryCreateSymbolicLinkAt(target, directory, name), "symlinkat", name, target);

    /// <summary>
    /// linkat(2) without AT_SYMLINK_FOLLOW: a symlink at the old name is linked itself. With
    /// <paramref name="emptyPath"/>, <paramref name="oldName"/> must be "" and the file is the one
    /// <paramref name="oldDirectory"/> refers to (AT_EMPTY_PATH; needs CAP_DAC_READ_SEARCH). Returns 0 or the errno.
    /// </summary>
    /// <param name="oldDirectory">The existing file's directory (or the file itself).</param>
    /// <param name="oldName">The existing file's name.</param>
    /// <param name="newDirectory">The new link's directory.</param>
    /// <param name="newName">The new link's name.</param>
    /// <param name="emptyPath">Link the file <paramref name="oldDirectory"/> refers to.</param>
    public static int TryLinkAt(SafeFileDescriptor oldDirectory, string oldName, SafeFileDescriptor newDirectory, string newName, bool emptyPath = false)
        => LibC.LinkAt(oldDirectory, oldName, newDirectory, newName, emptyPath ? AtEmptyPath : 0) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>linkat(2), see <see cref="TryLinkAt"/>.</summary>
    /// <param name="oldDirectory">The existing file's directory.</param>
    /// <param name="oldName">The existing file's name.</param>
    /// <param name="newDirectory">The new link's directory.</param>
    /// <param name="newName">The new link's name.</param>
    public static void LinkAt(SafeFileDescriptor oldDirectory, string oldName, SafeFileDescriptor newDirectory, string newName)
        => ThrowIfFailed(TryLinkAt(oldDirectory, oldName, newDirectory, newName), "linkat", oldName, newName);

    /// <summary>link(2): a hard link at <paramref name="newPath"/> to <paramref name="existingPath"/> (a symlink there is linked itself).</summary>
    /// <param name="existingPath">The existing file.</param>
    /// <param name="newPath">The new link.</param>
    public static void CreateHardLink(string existingPath, string newPath)
    {
        if (LibC.Link(existingPath, newPath) != 0)
        {
            throw new NativeCallException(Marshal.GetLastPInvokeError(), "link", existingPath, newPath);
        }
    }

    /// <summary>unlinkat(2). Returns 0 or the errno.</summary>
    /// <param name="directory">The parent directory.</param>
    /// <param name="name">The name to remove.</param>
    /// <param name="removeDirectory">Remove an empty directory (AT_REMOVEDIR).</param>
    public static int TryUnlinkAt(SafeFileDescriptor directory, string name, bool removeDirectory = false)
        => LibC.UnlinkAt(directory, name, removeDirectory ? AtRemoveDir : 0) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>unlinkat(2).</summary>
    /// <param name="directory">The parent directory.</param>
    /// <param name="name">The name to remove.</param>
    /// <param name="removeDirectory">Remove an empty directory (AT_REMOVEDIR).</param>
    public static void UnlinkAt(SafeFileDescriptor directory, string name, bool removeDirectory = false)
        => ThrowIfFailed(TryUnlinkAt(directory, name, removeDirectory), "unlinkat", name);

    /// <summary>renameat2(2).</summary>
    /// <param name="oldDirectory">The source's directory.</param>
    /// <param name="oldName">The source's name.</param>
    /// <param name="newDirectory">The destination's directory.</param>
    /// <param name="newName">The destination's name.</param>
    /// <param name="flags">RENAME_* flags.</param>
    public static void RenameAt(SafeFileDescriptor oldDirectory, string oldName, SafeFileDescriptor newDirectory, string newName, RenameFlags flags = RenameFlags.None)
    {
        if (LibC.RenameAt2(oldDirectory, oldName, newDirectory, newName, (uint)flags) != 0)
        {
            throw new NativeCallException(Marshal.GetLastPInvokeError(), "renameat2", oldName, newName);
        }
    }
}
