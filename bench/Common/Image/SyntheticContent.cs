using System.Globalization;
using System.Runtime.Versioning;
using System.Text;
using GuestPull.Linux;

namespace GuestPull.Bench.Common.Image;

/// The made-up parts of the benchmark image. Seeded, so a rebuilt cache holds the same kind of data.
[SupportedOSPlatform("linux")]
internal static class SyntheticContent
{
    private const int SmallDirectories = 100;
    private const int SmallFilesPerDirectory = 200;
    private const int IncompressibleFiles = 6;
    private const int IncompressibleFileBytes = 8 * 1000 * 1000;
    private static readonly string[] Words =
    [
        "guest", "image", "layer", "pull", "overlay", "digest", "stream", "bundle", "kernel", "registry",
        "manifest", "config", "snapshot", "container", "runtime", "tar", "gzip", "sha256", "store", "agent",
    ];

    /// 20,000 text files of 0.5–4 KB in 100 directories, with a symlink and a hardlink every 50 files:
    /// the shape of a Python or Node dependency tree.
    public static async Task WriteSmallFilesAsync(string directory, CancellationToken cancellationToken)
    {
        var random = new Random(20261127);
        for (var d = 0; d < SmallDirectories; d++)
        {
            var subdirectory = Directory.CreateDirectory(Path.Combine(directory, $"d{d:D3}")).FullName;
            for (var f = 0; f < SmallFilesPerDirectory; f++)
            {
                var path = Path.Combine(subdirectory, $"f{f:D4}.txt");
                await File.WriteAllTextAsync(path, Text(random, random.Next(512, 4096)), cancellationToken).ConfigureAwait(false);
                if (f % 50 == 49)
                {
                    File.CreateSymbolicLink(Path.Combine(subdirectory, $"link{f:D4}"), $"f{f - 1:D4}.txt");
                    FileSystemCalls.CreateHardLink(path, Path.Combine(subdirectory, $"hard{f:D4}"));
                }
            }
        }
    }

    /// Random bytes compress to themselves, like the jars, wheels and binaries of real application layers.
    public static async Task WriteIncompressibleAsync(string directory, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        var random = new Random(42);
        var buffer = new byte[IncompressibleFileBytes];
        for (var i = 0; i < IncompressibleFiles; i++)
        {
            random.NextBytes(buffer);
            await File.WriteAllBytesAsync(Path.Combine(directory, $"data-{i}.bin"), buffer, cancellationToken).ConfigureAwait(false);
        }
    }

    /// Deletes trees and files (whiteouts), replaces a directory with a fresh one and edits files.
    public static void DeleteAndReplace(string rootfs)
    {
        DeleteDirectory(Path.Combine(rootfs, "usr", "share", "doc"));
        DeleteDirectory(Path.Combine(rootfs, "opt", "copy", "share", "locale"));
        for (var d = 0; d < SmallDirectories; d += 10)
        {
            DeleteDirectory(Path.Combine(rootfs, "srv", "small", $"d{d:D3}"));
        }

        for (var d = 1; d < SmallDirectories; d += 10)
        {
            var subdirectory = Path.Combine(rootfs, "srv", "small", $"d{d:D3}");
            for (var f = 0; f < SmallFilesPerDirectory; f += 3)
            {
                File.Delete(Path.Combine(subdirectory, $"f{f:D4}.txt"));
            }
        }

        var replaced = Path.Combine(rootfs, "srv", "small", "d005");
        DeleteDirectory(replaced);
        Directory.CreateDirectory(replaced);
        File.WriteAllText(Path.Combine(replaced, "replaced.txt"), "this directory was replaced in a later layer\n");

        File.AppendAllText(Path.Combine(rootfs, "etc", "motd"), "\nguestpull benchmark image\n");
        File.WriteAllText(Path.Combine(rootfs, "etc", "hostname"), "bench\n");
    }

    private static void DeleteDirectory(string path)
    {
        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
    }

    private static string Text(Random random, int length)
    {
        var text = new StringBuilder(length + 16);
        while (text.Length < length)
        {
            text.Append(Words[random.Next(Words.Length)]);
            text.Append(random.Next(8) == 0 ? '\n' : ' ');
            if (random.Next(16) == 0)
            {
                text.Append(random.Next().ToString("x8", CultureInfo.InvariantCulture)).Append(' ');
            }
        }

        return text.ToString();
    }
}
