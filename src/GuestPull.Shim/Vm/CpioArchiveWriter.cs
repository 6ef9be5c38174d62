using System.Globalization;
using System.Text;

namespace GuestPull.Shim.Vm;

/// <summary>
/// Writes the "newc" cpio format the Linux kernel unpacks as an initramfs (the kernel's
/// Documentation/driver-api/early-userspace/buffer-format). Hand-written: .NET has tar but no cpio,
/// and no maintained NuGet package writes newc. Only what an initramfs needs: directories and regular
/// files owned by root, every timestamp 0 so the same content gives the same bytes.
/// </summary>
internal sealed class CpioArchiveWriter
{
    private const int DirectoryType = 0x4000;
    private const int RegularFileType = 0x8000;

    private readonly MemoryStream _output = new();
    private readonly HashSet<string> _directories = new(StringComparer.Ordinal);
    private int _inode = 1;

    /// <summary>Bytes written so far, the trailer excluded.</summary>
    public long Length => _output.Length;

    /// <summary>Adds a directory and any missing parent (each once).</summary>
    /// <param name="path">An absolute path in the guest.</param>
    /// <param name="mode">The permission bits.</param>
    public void AddDirectory(string path, UnixFileMode mode)
    {
        var relative = Relative(path);
        var parent = Path.GetDirectoryName(relative);
        if (!string.IsNullOrEmpty(parent))
        {
            AddDirectory("/" + parent, (UnixFileMode)0b111_101_101);
        }

        if (_directories.Add(relative))
        {
            WriteEntry(relative, DirectoryType | (int)mode, 2, []);
        }
    }

    /// <summary>Adds a regular file (its parent directories first, mode 0755).</summary>
    /// <param name="path">An absolute path in the guest.</param>
    /// <param name="content">The file's bytes.</param>
    /// <param name="mode">The permission bits.</param>
    public void AddFile(string path, ReadOnlySpan<byte> content, UnixFileMode mode)
    {
        var relative = Relative(path);
        var parent = Path.GetDirectoryName(relative);
        if (!string.IsNullOrEmpty(parent))
        {
            AddDirectory("/" + parent, (UnixFileMode)0b111_101_101);
        }

        WriteEntry(relative, RegularFileType | (int)mode, 1, content);
    }

    /// <summary>The archive, ended with the TRAILER!!! entry.</summary>
    public byte[] Finish()
    {
        WriteEntry("TRAILER!!!", 0, 1, [], inode: 0);
        return _output.ToArray();
    }

    private static string Relative(string path)
    {
        if (!Path.IsPathRooted(path) || path.Split('/').Any(part => part is "." or ".."))
        {
            throw new ArgumentException($"cpio entry {path}: expected an absolute path without . or ..", nameof(path));
        }

        return path.TrimStart('/').TrimEnd('/');
    }

    private void WriteEntry(string name, int mode, int links, ReadOnlySpan<byte> content, int? inode = null)
    {
        var nameBytes = Encoding.UTF8.GetBytes(name + "\0");
        var header = new StringBuilder("070701");
        foreach (var field in new long[]
                 {
                     inode ?? _inode++, mode, 0, 0, links, 0, content.Length, 0, 0, 0, 0, nameBytes.Length, 0,
                 })
        {
            header.Append(field.ToString("x8", CultureInfo.InvariantCulture));
        }

        _output.Write(Encoding.ASCII.GetBytes(header.ToString()));
        _output.Write(nameBytes);
        Pad();
        _output.Write(content);
        Pad();
    }

    // Headers (110 bytes) plus names, and file data, each end on a 4-byte boundary.
    private void Pad()
    {
        while (_output.Length % 4 != 0)
        {
            _output.WriteByte(0);
        }
    }
}
