namespace GuestPull.Snapshotter.Service;

/// <summary>Counts bytes and inodes under a directory without following symbolic links or crossing into other mounts' trees via links.</summary>
internal static class DiskUsage
{
    public static Storage.SnapshotUsage Measure(string directory, CancellationToken cancellationToken)
    {
        long size = 0;
        long inodes = 0;
        var pending = new Stack<DirectoryInfo>();
        var root = new DirectoryInfo(directory);
        if (!root.Exists)
        {
            return Storage.SnapshotUsage.Zero;
        }
        pending.Push(root);
        while (pending.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var current = pending.Pop();
            inodes++;
            IEnumerable<FileSystemInfo> entries;
            try
            {
                entries = current.EnumerateFileSystemInfos();
            }
            catch (Exception ex) when (ex is DirectoryNotFoundException or UnauthorizedAccessException)
            {
                continue;
            }
            foreach (var entry in entries)
            {
                if (entry is DirectoryInfo child && child.LinkTarget is null)
                {
                    pending.Push(child);
                    continue;
                }
                inodes++;
                if (entry is FileInfo file && file.LinkTarget is null)
                {
                    size += file.Length;
                }
            }
        }
        return new Storage.SnapshotUsage(size, inodes);
    }
}
