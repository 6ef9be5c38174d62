namespace GuestPull.Linux;

/// <summary>
/// Resolves a path inside a root directory one component at a time, in user space, with the
/// semantics of openat2's RESOLVE_IN_ROOT: ".." at the root stays at the root, absolute symlink
/// targets restart at the root, and every component is opened O_PATH|O_NOFOLLOW relative to the
/// descriptor of its (already confined) parent, so no symlink is ever followed by the kernel.
/// It is the fallback when openat2 is missing, and it can create missing directories on the way.
/// </summary>
public static class InRootPathWalker
{
    /// <summary>Linux's MAXSYMLINKS: the most symlinks one resolution may follow.</summary>
    public const int MaxSymlinks = 40;

    /// <summary>
    /// Opens <paramref name="path"/> inside <paramref name="root"/>. Returns 0 or the errno
    /// (ENOENT, ENOTDIR, ELOOP, EEXIST, ...).
    /// </summary>
    /// <param name="root">The directory that acts as "/".</param>
    /// <param name="path">The path inside the root.</param>
    /// <param name="flags">Open flags for the last component; <see cref="OpenFlags.NoFollow"/> keeps a final symlink unfollowed.</param>
    /// <param name="mode">Permissions for a file created by <see cref="OpenFlags.Create"/>.</param>
    /// <param name="createMissingDirectoriesMode">When set, missing components are created as directories with these permissions (exact: the umask is undone).</param>
    /// <param name="descriptor">The opened descriptor, when the call succeeded.</param>
    public static int TryOpen(SafeFileDescriptor root, string path, OpenFlags flags, uint mode, uint? createMissingDirectoriesMode, out SafeFileDescriptor? descriptor)
    {
        descriptor = null;
        var pending = new Stack<string>();
        PushComponents(pending, path);
        var chain = new List<SafeFileDescriptor>();
        var symlinks = 0;
        try
        {
            while (pending.Count > 0)
            {
                var component = pending.Pop();
                if (component == "..")
                {
                    // The chain holds the directories actually traversed, so ".." is their physical
                    // parent; at the root it stays put.
                    if (chain.Count > 0)
                    {
                        chain[^1].Dispose();
                        chain.RemoveAt(chain.Count - 1);
                    }

                    continue;
                }

                var current = chain.Count == 0 ? root : chain[^1];
                var last = pending.Count == 0;
                var errno = FileSystemCalls.TryOpenAt(current, component, OpenFlags.Path | OpenFlags.NoFollow, 0, out var next);
                if (errno == Errno.ENOENT)
                {
                    if (last && flags.HasFlag(OpenFlags.Create))
                    {
                        return FileSystemCalls.TryOpenAt(current, component, flags | OpenFlags.NoFollow, mode, out descriptor);
                    }

                    if (createMissingDirectoriesMode is not { } directoryMode)
                    {
                        return Errno.ENOENT;
                    }

                    errno = CreateDirectory(current, component, directoryMode, out next);
                }

                if (errno != 0)
                {
                    return errno;
                }

                var status = FileSystemCalls.Stat(next!);
                if (status.IsSymbolicLink && !(last && flags.HasFlag(OpenFlags.NoFollow)))
                {
                    if (++symlinks > MaxSymlinks)
                    {
                        next!.Dispose();
                        return Errno.ELOOP;
                    }

                    var target = FileSystemCalls.ReadLinkAt(next!, string.Empty);
                    next!.Dispose();
                    if (target.StartsWith('/'))
                    {
                        DisposeAll(chain);
                    }

                    PushComponents(pending, target);
                    continue;
                }

                if (status.IsDirectory)
                {
                    chain.Add(next!);
                    continue;
                }

                // A non-directory: only acceptable as the last component.
                using (next)
                {
                    if (!last || flags.HasFlag(OpenFlags.Directory))
                    {
                        return Errno.ENOTDIR;
                    }

                    if (flags.HasFlag(OpenFlags.Create) && flags.HasFlag(OpenFlags.Exclusive))
                    {
                        return Errno.EEXIST;
                    }

                    if (status.IsSymbolicLink && !flags.HasFlag(OpenFlags.Path))
                    {
                        return Errno.ELOOP;
                    }

                    return FileSystemCalls.TryOpenAt(current, component, flags | OpenFlags.NoFollow, mode, out descriptor);
                }
            }

            // The path ended on a directory (possibly the root itself).
            if (flags.HasFlag(OpenFlags.Create) && flags.HasFlag(OpenFlags.Exclusive))
            {
                return Errno.EEXIST;
            }

            var final = chain.Count == 0 ? root : chain[^1];
            var reopen = flags & ~(OpenFlags.Create | OpenFlags.Exclusive | OpenFlags.Truncate | OpenFlags.NoFollow);
            return FileSystemCalls.TryOpenAt(final, ".", reopen, 0, out descriptor);
        }
        finally
        {
            DisposeAll(chain);
        }
    }

    /// <summary>Like <see cref="TryOpen"/>, throwing <see cref="NativeCallException"/> on failure.</summary>
    /// <param name="root">The directory that acts as "/".</param>
    /// <param name="path">The path inside the root.</param>
    /// <param name="flags">Open flags for the last component.</param>
    /// <param name="mode">Permissions for a created file.</param>
    /// <param name="createMissingDirectoriesMode">When set, missing components are created as directories with these permissions.</param>
    public static SafeFileDescriptor Open(SafeFileDescriptor root, string path, OpenFlags flags, uint mode = 0, uint? createMissingDirectoriesMode = null)
    {
        var errno = TryOpen(root, path, flags, mode, createMissingDirectoriesMode, out var descriptor);
        return errno == 0 ? descriptor! : throw new NativeCallException(errno, "openat (in-root walk)", path);
    }

    private static int CreateDirectory(SafeFileDescriptor parent, string name, uint mode, out SafeFileDescriptor? created)
    {
        created = null;
        var errno = FileSystemCalls.TryMakeDirectoryAt(parent, name, mode);
        if (errno == Errno.EEXIST)
        {
            // Something appeared in between (or a dangling symlink is there): look again, never follow.
            return FileSystemCalls.TryOpenAt(parent, name, OpenFlags.Path | OpenFlags.NoFollow, 0, out created);
        }

        if (errno != 0)
        {
            return errno;
        }

        errno = FileSystemCalls.TryOpenAt(parent, name, OpenFlags.ReadOnly | OpenFlags.Directory | OpenFlags.NoFollow, 0, out created);
        if (errno == 0)
        {
            // mkdirat applied the process umask; the caller asked for exact permissions.
            FileSystemCalls.ChangeMode(created!, mode);
        }

        return errno;
    }

    private static void PushComponents(Stack<string> pending, string path)
    {
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (var i = parts.Length - 1; i >= 0; i--)
        {
            if (parts[i] != ".")
            {
                pending.Push(parts[i]);
            }
        }
    }

    private static void DisposeAll(List<SafeFileDescriptor> chain)
    {
        foreach (var fd in chain)
        {
            fd.Dispose();
        }

        chain.Clear();
    }
}
