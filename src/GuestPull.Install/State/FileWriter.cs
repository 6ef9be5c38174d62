using System.Security.Cryptography;
using System.Text;

namespace GuestPull.Install.State;

/// <summary>Crash-safe file replacement (temp name, fsync, rename) that keeps the old file's mode.</summary>
internal static class FileWriter
{
    public static void WriteAtomically(string path, string content, UnixFileMode newFileMode = (UnixFileMode)0b110_100_100)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temporary = path + ".guestpull-tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write))
        {
            stream.Write(Encoding.UTF8.GetBytes(content));
            stream.Flush(flushToDisk: true);
        }
        File.SetUnixFileMode(temporary, File.Exists(path) ? File.GetUnixFileMode(path) : newFileMode);
        File.Move(temporary, path, overwrite: true);
    }

    public static string Sha256(string content) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(content)));
}
