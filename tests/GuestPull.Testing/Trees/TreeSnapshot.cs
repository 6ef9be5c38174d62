using System.Security.Cryptography;
using GuestPull.Linux;
using Xunit;

namespace GuestPull.Testing;

/// A directory tree, never following symlinks: path → type, mode, owner, size, content hash, link
/// target, device number, xattrs, hard-link group and (optionally) mtime. Used to compare what
/// GuestPull unpacks with what umoci or containerd unpack.
public sealed class TreeSnapshot
{
    private TreeSnapshot(SortedDictionary<string, TreeEntry> entries)
    {
        Entries = entries;
    }

    public SortedDictionary<string, TreeEntry> Entries { get; }

    public TreeEntry this[string path] => Entries[path];

    /// <param name="root">The tree's root (not itself an entry).</param>
    /// <param name="includeXattr">Which xattr names count; all when null.</param>
    /// <param name="includeModificationTimes">Whether mtimes (whole seconds) count.</param>
    public static TreeSnapshot Take(string root, Func<string, bool>? includeXattr = null, bool includeModificationTimes = false)
    {
        var entries = new SortedDictionary<string, TreeEntry>(StringComparer.Ordinal);
        var inodes = new Dictionary<(ulong Device, ulong Inode), List<string>>();
        Walk(root, string.Empty, entries, inodes, includeXattr ?? (_ => true), includeModificationTimes);
        foreach (var group in inodes.Values.Where(g => g.Count > 1))
        {
            var links = string.Join(',', group.Order(StringComparer.Ordinal));
            foreach (var path in group)
            {
                entries[path] = entries[path] with { HardLinks = links };
            }
        }

        return new TreeSnapshot(entries);
    }

    public static void AssertEqual(TreeSnapshot expected, TreeSnapshot actual, string what)
    {
        var problems = new List<string>();
        foreach (var (path, entry) in expected.Entries)
        {
            if (!actual.Entries.TryGetValue(path, out var other))
            {
                problems.Add($"missing {path}: {entry}");
            }
            else if (other != entry)
            {
                problems.Add($"differs {path}:\n   expected {entry}\n   actual   {other}");
            }
        }

        foreach (var (path, entry) in actual.Entries)
        {
            if (!expected.Entries.ContainsKey(path))
            {
                problems.Add($"unexpected {path}: {entry}");
            }
        }

        Assert.True(problems.Count == 0, $"{what} trees differ:\n" + string.Join('\n', problems));
    }

    public static TreeEntry Describe(string path, Func<string, bool>? includeXattr = null, bool includeModificationTime = false) =>
        Describe(path, includeXattr, includeModificationTime, out _);

    private static TreeEntry Describe(string path, Func<string, bool>? includeXattr, bool includeModificationTime, out FileStatus status)
    {
        using var fd = FileSystemCalls.Open(path, OpenFlags.Path | OpenFlags.NoFollow);
        status = FileSystemCalls.Stat(fd);
        string? sha = null;
        string? link = null;
        if (status.Type == FileType.RegularFile)
        {
            using var stream = File.OpenRead(path);
            sha = Convert.ToHexStringLower(SHA256.HashData(stream));
        }
        else if (status.IsSymbolicLink)
        {
            link = new FileInfo(path).LinkTarget;
        }

        var filter = includeXattr ?? (_ => true);
        var xattrs = string.Join(", ", ExtendedAttributes.List(path)
            .Where(filter)
            .Order(StringComparer.Ordinal)
            .Select(name => $"{name}={Convert.ToHexStringLower(ExtendedAttributes.Get(path, name) ?? [])}"));
        return new TreeEntry(
            status.Type,
            status.Permissions,
            status.Uid,
            status.Gid,
            status.Type == FileType.RegularFile || status.IsSymbolicLink ? status.Size : 0,
            sha,
            link,
            status.Type is FileType.CharacterDevice or FileType.BlockDevice ? status.DeviceNumber : 0,
            xattrs,
            includeModificationTime ? status.ModificationTime.Seconds : null);
    }

    private static void Walk(
        string directory,
        string relative,
        SortedDictionary<string, TreeEntry> entries,
        Dictionary<(ulong Device, ulong Inode), List<string>> inodes,
        Func<string, bool> includeXattr,
        bool includeModificationTimes)
    {
        foreach (var full in Directory.EnumerateFileSystemEntries(directory))
        {
            var name = Path.GetFileName(full);
            var path = relative.Length == 0 ? name : relative + "/" + name;
            var entry = Describe(full, includeXattr, includeModificationTimes, out var status);
            entries[path] = entry;
            if (status.Type == FileType.RegularFile && status.LinkCount > 1)
            {
                var key = (status.Device, status.Inode);
                if (!inodes.TryGetValue(key, out var group))
                {
                    inodes[key] = group = [];
                }

                group.Add(path);
            }

            if (entry.Type == FileType.Directory)
            {
                Walk(full, path, entries, inodes, includeXattr, includeModificationTimes);
            }
        }
    }
}
