using System.Security.Cryptography;
using GuestPull.Configuration.Sandbox;

namespace GuestPull.Install.Tests.Infrastructure;

/// <summary>
/// A guest image directory as scripts/build-guest.sh lays it out, with small made-up files instead of a
/// kernel and an initramfs and a manifest.json holding their real SHA-256.
/// </summary>
internal static class FakeGuestImage
{
    public const string KernelPackage = "linux-image-0.0.0-test-amd64";

    public const string KernelVersion = "0.0.0-1";

    /// <summary>Writes the image into <paramref name="directory"/> (created); <paramref name="seed"/> varies the content.</summary>
    public static async Task<GuestImageLayout> WriteAsync(string directory, string seed = "a")
    {
        var layout = new GuestImageLayout(directory);
        Directory.CreateDirectory(directory);
        var kernel = Enumerable.Range(0, 70_000).Select(i => (byte)(i * 7 + seed[0])).ToArray();
        var initramfs = System.Text.Encoding.UTF8.GetBytes($"initramfs {seed}\n");
        await File.WriteAllBytesAsync(layout.Kernel, kernel);
        await File.WriteAllBytesAsync(layout.Initramfs, initramfs);
        await File.WriteAllTextAsync(layout.Manifest, $$"""
            {
              "kernel": {
                "package": "{{KernelPackage}}",
                "version": "{{KernelVersion}}",
                "release": "0.0.0-test-amd64",
                "deb_sha256": "{{new string('0', 64)}}"
              },
              "outputs": {
                "vmlinux": "{{Sha256(kernel)}}",
                "initramfs.cpio.gz": "{{Sha256(initramfs)}}"
              },
              "initramfs": {
                "/init": "{{new string('1', 64)}}"
              }
            }
            """);
        return layout;
    }

    /// <summary>Cuts a file in half, as an interrupted copy would, and returns its SHA-256 before and after.</summary>
    public static async Task<(string Before, string After)> TruncateAsync(string path)
    {
        var bytes = await File.ReadAllBytesAsync(path);
        await File.WriteAllBytesAsync(path, bytes[..(bytes.Length / 2)]);
        return (Sha256(bytes), Sha256(bytes[..(bytes.Length / 2)]));
    }

    public static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
}
