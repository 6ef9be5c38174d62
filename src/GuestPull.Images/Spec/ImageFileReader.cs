using System.Text;
using GuestPull.Linux;

namespace GuestPull.Images.Spec;

/// <summary>
/// Reads small text files of an image rootfs with the rootfs as "/": symlinks (absolute or with
/// "..") resolve inside it (openat2 RESOLVE_IN_ROOT, or an O_NOFOLLOW walk), so a hostile image
/// can't make us read the host's files.
/// </summary>
internal static class ImageFileReader
{
    private const int MaxSize = 8 * 1024 * 1024;

    /// <summary>The file's text, or null when it does not exist in the image.</summary>
    public static string? ReadText(string rootfs, string pathInImage)
    {
        using var root = FileSystemCalls.Open(rootfs, OpenFlags.ReadOnly | OpenFlags.Directory);
        // NonBlocking: a FIFO planted at the path must not hang the caller.
        var errno = FileSystemCalls.TryOpenInRoot(root, pathInImage, OpenFlags.ReadOnly | OpenFlags.NonBlocking, 0, out var file);
        if (errno is Errno.ENOENT or Errno.ENOTDIR)
        {
            return null;
        }

        if (errno != 0)
        {
            throw new RuntimeSpecException($"cannot open {pathInImage} in the image rootfs '{rootfs}': {new NativeCallException(errno, "openat2", pathInImage).Message}");
        }

        using (file)
        {
            var status = FileSystemCalls.Stat(file!);
            if (status.Type != FileType.RegularFile)
            {
                throw new RuntimeSpecException($"{pathInImage} in the image is a {status.Type}, not a regular file");
            }

            if (status.Size > MaxSize)
            {
                throw new RuntimeSpecException($"{pathInImage} in the image is {status.Size} bytes, more than the {MaxSize} accepted");
            }

            using var content = new MemoryStream((int)status.Size);
            var chunk = new byte[64 * 1024];
            int read;
            while ((read = FileSystemCalls.Read(file!, chunk)) > 0)
            {
                content.Write(chunk, 0, read);
                if (content.Length > MaxSize)
                {
                    throw new RuntimeSpecException($"{pathInImage} in the image is more than {MaxSize} bytes");
                }
            }

            return Encoding.UTF8.GetString(content.GetBuffer(), 0, (int)content.Length);
        }
    }
}
