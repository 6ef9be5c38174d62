namespace GuestPull.Install.Verify;

/// <summary>
/// Finds the directories named <c>rootfs</c> under a sandbox's host-shared directory, as
/// <c>find …/sandboxes/&lt;id&gt; -name rootfs -type d</c> would, without following symbolic links.
/// A pod whose images were all pulled in the guest has none.
/// </summary>
internal static class HostRootfsScanner
{
    // Kata and GuestPull put a container's rootfs at most three levels below the sandbox directory
    // (shared/<cid>/rootfs, mounts/<cid>/rootfs, <cid>/rootfs). The limit keeps the scan off whatever a
    // volume bind-mounted into the shared directory contains.
    private const int MaxDepth = 6;

    public static IReadOnlyList<string> Find(string sandboxDirectory)
    {
        var found = new List<string>();
        if (Directory.Exists(sandboxDirectory))
        {
            Walk(new DirectoryInfo(sandboxDirectory), 0, found);
        }

        found.Sort(StringComparer.Ordinal);
        return found;
    }

    private static void Walk(DirectoryInfo directory, int depth, List<string> found)
    {
        if (depth >= MaxDepth)
        {
            return;
        }

        IEnumerable<DirectoryInfo> children;
        try
        {
            children = directory.EnumerateDirectories("*", new EnumerationOptions { RecurseSubdirectories = false, AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = true });
        }
        catch (DirectoryNotFoundException)
        {
            return; // removed while we looked: nothing of it is on the host any more
        }

        foreach (var child in children)
        {
            if (child.Name == "rootfs")
            {
                // A rootfs is what we are looking for; its content is the container's files, not more sandboxes.
                found.Add(child.FullName);
                continue;
            }

            Walk(child, depth + 1, found);
        }
    }
}
