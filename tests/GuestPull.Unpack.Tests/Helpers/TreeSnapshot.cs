using System.Security.Cryptography;
using GuestPull.Linux;

namespace GuestPull.Unpack.Tests.Helpers;

/// <summary>One file as a comparison sees it.</summary>
internal sealed record TreeEntry(
    FileType Type,
    uint Permissions,
    uint Uid,
    uint Gid,
    long Size,
    string? Sha256,
    string? LinkTarget,
    ulong DeviceNumber,
    string Xattrs)
{
    public override string ToString()
        => $"{Type} {Convert.ToString(Permissions, 8)} {Uid}:{Gid} size={Size} sha={Sha256?[..12]} link={LinkTarget} rdev={DeviceNumber} xattrs=[{Xattrs}]";
}

/// <summary>A directory tree (never following symlinks): path → type, mode, owner, size, content hash, link, rdev, xattrs.</summary>
internal sealed class TreeSnapshot
{
    private TreeSnapshot(SortedDictionary<string, TreeEntry> entries)
    {
        Entries = entries;
    }

    public SortedDictionary<string, TreeEntry> Entries { get; }

    public TreeEntry this[string path] => Entries[path];

    public static TreeSnapshot Take(string root, Func<string, bool>? includeXattr = null)
    {
        var entries = new SortedDictionary<string, TreeEntry>(StringComparer.Ordinal);
        Walk(root, string.Empty, entries, includeXattr ?? (_ => true));
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

    public static TreeEntry Describe(string path, Func<string, bool>? includeXattr = null)
    {
        using var fd = FileSystemCalls.Open(path, OpenFlags.Path | OpenFlags.NoFollow);
        var status = FileSystemCalls.Stat(fd);
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
            xattrs);
    }

    private static void Walk(string directory, string relative, SortedDictionary<string, TreeEntry> entries, Func<string, bool> includeXattr)
    {
        foreach (var full in Directory.EnumerateFileSystemEntries(directory))
        {
            var name = Path.GetFileName(full);
            var path = relative.Length == 0 ? name : relative + "/" + name;
            var entry = Describe(full, includeXattr);
            entries[path] = entry;
            if (entry.Type == FileType.Directory)
            {
                Walk(full, path, entries, includeXattr);
            }
        }
    }
}
