using GuestPull.Linux;
using Microsoft.Extensions.Logging;

namespace GuestPull.Agent.Storage;

/// <summary>
/// The rootfs of the built-in pause bundle, made once at start-up from a static binary (Debian's
/// busybox-static): <c>/bin/busybox</c>, run as <c>busybox sleep infinity</c>. It serves as the one
/// read-only layer of every sandbox container's overlay, so no registry is involved.
/// </summary>
internal static partial class PauseRootfs
{
    public static readonly string[] Arguments = ["/bin/busybox", "sleep", "infinity"];

    /// <summary>Creates (or refreshes) the layer directory; returns null, logged, when the binary is missing.</summary>
    public static string? Prepare(string imageRoot, string pauseBinary, ILogger logger)
    {
        if (!File.Exists(pauseBinary))
        {
            LogNoPauseBinary(logger, pauseBinary);
            return null;
        }

        var layer = Path.Combine(imageRoot, "pause", "rootfs");
        var bin = Directory.CreateDirectory(Path.Combine(layer, "bin")).FullName;
        const UnixFileMode Open = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        File.SetUnixFileMode(layer, Open);
        File.SetUnixFileMode(bin, Open);
        var target = Path.Combine(bin, "busybox");
        if (File.Exists(target) && new FileInfo(target).Length == new FileInfo(pauseBinary).Length)
        {
            // Running sandboxes may have it as their lower layer: leave it be.
            return layer;
        }

        using (var source = File.OpenRead(pauseBinary))
        {
            AtomicFile.Write(target, Open & ~UnixFileMode.UserWrite, source.CopyTo);
        }

        return layer;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "pause binary {Path} does not exist: sandbox containers cannot be created")]
    private static partial void LogNoPauseBinary(ILogger logger, string path);
}
