using System.Security.Cryptography;
using System.Text;
using GuestPull.Linux;

namespace GuestPull.Install.State;

/// <summary>Crash-safe file replacement (<see cref="AtomicFile"/>) that keeps the old file's mode.</summary>
internal static class FileWriter
{
    public static void WriteAtomically(string path, string content, UnixFileMode newFileMode = (UnixFileMode)0b110_100_100)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        AtomicFile.Write(path, Encoding.UTF8.GetBytes(content), File.Exists(path) ? File.GetUnixFileMode(path) : newFileMode);
    }

    public static string Sha256(string content) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(content)));
}
