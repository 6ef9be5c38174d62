using GuestPull.Linux;

namespace GuestPull.Agent.Files;

/// <summary>
/// Opens a CopyFile destination's directory one component at a time from the copy root, never
/// following a symlink and creating what is missing. The host (or a container writing into a
/// directory bind-mounted from the copy root) may have planted a symlink below the root; opening by
/// path would follow it out, so every step is an <c>openat</c> with <c>O_NOFOLLOW</c> relative to
/// the step before, and a symlink is refused rather than resolved.
/// </summary>
internal static class CopyDirectoryWalker
{
    private const OpenFlags DirectoryNoFollow = OpenFlags.ReadOnly | OpenFlags.Directory | OpenFlags.NoFollow;

    /// <summary>The destination's parent directory, with missing directories created with <paramref name="directoryMode"/>.</summary>
    /// <param name="root">The copy root, a trusted path; created when missing.</param>
    /// <param name="target">The destination.</param>
    /// <param name="directoryMode">Permission bits (07777) of the directories created, set exactly.</param>
    /// <exception cref="Ttrpc.TtrpcException">InvalidArgument when a component is a symlink or not a directory.</exception>
    public static SafeFileDescriptor OpenParent(string root, CopyTarget target, uint directoryMode)
    {
        var current = OpenRoot(root);
        try
        {
            var walked = root;
            foreach (var name in target.Parents)
            {
                walked = walked == "/" ? "/" + name : walked + "/" + name;
                var next = Step(current, name, directoryMode, target, walked);
                current.Dispose();
                current = next;
            }

            return current;
        }
        catch
        {
            current.Dispose();
            throw;
        }
    }

    /// <summary>The refusal's wording when <paramref name="name"/> in <paramref name="directory"/> is a symlink; null when it is not (or is absent).</summary>
    public static string? SymlinkProblem(SafeFileDescriptor directory, string name, string pathForMessages) =>
        FileSystemCalls.TryStatAt(directory, name, out var status) && status.IsSymbolicLink
            ? $"has a symbolic link at {pathForMessages}"
            : null;

    private static SafeFileDescriptor OpenRoot(string root)
    {
        var errno = FileSystemCalls.TryOpen(root, OpenFlags.ReadOnly | OpenFlags.Directory, 0, out var descriptor);
        if (errno == Errno.ENOENT)
        {
            // The copy root is configuration, not request data: its own path may be followed, and it is
            // made on first use so an agent that never receives a copy leaves no trace of it.
            Directory.CreateDirectory(root);
            errno = FileSystemCalls.TryOpen(root, OpenFlags.ReadOnly | OpenFlags.Directory, 0, out descriptor);
        }

        return errno == 0 ? descriptor! : throw new NativeCallException(errno, "open", root);
    }

    private static SafeFileDescriptor Step(SafeFileDescriptor parent, string name, uint mode, CopyTarget target, string walked)
    {
        var errno = FileSystemCalls.TryOpenAt(parent, name, DirectoryNoFollow, 0, out var descriptor);
        if (errno == Errno.ENOENT)
        {
            var made = FileSystemCalls.TryMakeDirectoryAt(parent, name, mode);
            errno = FileSystemCalls.TryOpenAt(parent, name, DirectoryNoFollow, 0, out descriptor);
            if (errno == 0 && made == 0)
            {
                // mkdirat's mode passed through the umask; the request's mode is meant exactly.
                FileSystemCalls.ChangeMode(descriptor!, mode);
            }
            else if (made is not (0 or Errno.EEXIST))
            {
                descriptor?.Dispose();
                throw new NativeCallException(made, "mkdirat", walked);
            }
        }

        if (errno == 0)
        {
            return descriptor!;
        }

        // O_NOFOLLOW on a symlink fails with ELOOP; O_DIRECTORY on anything else that is not a
        // directory with ENOTDIR. Either way the request names a path it may not use.
        if (errno is Errno.ELOOP or Errno.ENOTDIR)
        {
            throw target.Refuse(SymlinkProblem(parent, name, walked) ?? $"has a non-directory at {walked}");
        }

        throw new NativeCallException(errno, "openat", walked);
    }
}
