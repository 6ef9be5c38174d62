using System.Security.Cryptography;
using System.Text;

namespace GuestPull.Cache.Tests;

/// <summary>One digest over the names, types, modes and contents of directory trees: equal digests, identical pulls.</summary>
internal static class TreeDigest
{
    public static string Of(IEnumerable<string> roots)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var root in roots)
        {
            foreach (var path in Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                var info = new FileInfo(path);
                var kind = info.LinkTarget is { } target ? "l" + target : info.Attributes.HasFlag(FileAttributes.Directory) ? "d" : "f";
                hash.AppendData(Encoding.UTF8.GetBytes($"{Path.GetRelativePath(root, path)}\0{kind}\0{(int)info.UnixFileMode}\0"));
                if (kind == "f")
                {
                    hash.AppendData(SHA256.HashData(File.ReadAllBytes(path)));
                }
            }

            hash.AppendData("\n"u8);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
