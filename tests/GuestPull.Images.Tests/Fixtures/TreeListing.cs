using System.Globalization;
using System.Security.Cryptography;
using GuestPull.Linux;

namespace GuestPull.Images.Tests.Fixtures;

/// Everything observable about a directory tree, one line per path, for comparing trees.
internal static class TreeListing
{
    public static SortedDictionary<string, string> Take(string root)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var inodes = new Dictionary<ulong, List<string>>();
        using var descriptor = FileSystemCalls.Open(root, OpenFlags.ReadOnly | OpenFlags.Directory);
        Walk(descriptor, string.Empty, result, inodes);
        foreach (var group in inodes.Values.Where(g => g.Count > 1))
        {
            foreach (var path in group)
            {
                result[path] += " links=" + string.Join(',', group.Order(StringComparer.Ordinal));
            }
        }

        return result;
    }

    private static void Walk(SafeFileDescriptor directory, string prefix, SortedDictionary<string, string> result, Dictionary<ulong, List<string>> inodes)
    {
        foreach (var name in FileSystemCalls.ReadDirectoryNames(directory))
        {
            var path = prefix + "/" + name;
            var status = FileSystemCalls.StatAt(directory, name);
            var line = string.Create(CultureInfo.InvariantCulture, $"{status.Type} {Convert.ToString(status.Permissions, 8)} {status.Uid}:{status.Gid} mtime={status.ModificationTime.Seconds}");

            var xattrs = ExtendedAttributes.ListAt(directory, name)
                .Where(n => !n.StartsWith("trusted.overlay.", StringComparison.Ordinal))
                .Order(StringComparer.Ordinal)
                .Select(n => n + "=" + Convert.ToHexString(ExtendedAttributes.GetAt(directory, name, n) ?? []));
            line += " xattrs[" + string.Join(';', xattrs) + "]";
            switch (status.Type)
            {
                case FileType.RegularFile:
                    using (var file = FileSystemCalls.OpenAt(directory, name, OpenFlags.ReadOnly | OpenFlags.NoFollow))
                    using (var stream = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(file.DangerousGetHandle(), ownsHandle: false), FileAccess.Read))
                    {
                        line += string.Create(CultureInfo.InvariantCulture, $" size={status.Size} sha256={Convert.ToHexString(SHA256.HashData(stream))}");
                    }

                    if (status.LinkCount > 1)
                    {
                        if (!inodes.TryGetValue(status.Inode, out var group))
                        {
                            inodes[status.Inode] = group = [];
                        }

                        group.Add(path);
                    }

                    break;
                case FileType.SymbolicLink:
                    line += " -> " + FileSystemCalls.ReadLinkAt(directory, name);
                    break;
                case FileType.CharacterDevice or FileType.BlockDevice:
                    line += string.Create(CultureInfo.InvariantCulture, $" dev={FileSystemCalls.DeviceMajor(status.DeviceNumber)},{FileSystemCalls.DeviceMinor(status.DeviceNumber)}");
                    break;
                case FileType.Directory:
                    using (var child = FileSystemCalls.OpenAt(directory, name, OpenFlags.ReadOnly | OpenFlags.Directory | OpenFlags.NoFollow))
                    {
                        Walk(child, path, result, inodes);
                    }

                    break;
            }

            result[path] = line;
        }
    }
}
