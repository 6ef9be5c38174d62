using GuestPull.Api.Kata;
using System.Text;
using GuestPull.Linux;

namespace GuestPull.Snapshotter.Mounts;

/// <summary>
/// The host side of a <c>fuse.nydus-overlayfs</c> mount. Kata's shim never mounts such a rootfs, but
/// containerd itself mounts a container's snapshot on the host for a moment in CRI's CreateContainer
/// (to read /etc/passwd and /etc/group, and to copy image volumes): it runs <c>mount.fuse</c>, which
/// runs the helper named by the subtype, <c>nydus-overlayfs SOURCE TARGET -o OPTIONS</c>. Like
/// nydus's helper, this drops the options overlayfs does not know (the Kata volume) and mounts an
/// ordinary overlay. The layers of a guest-pulled image are empty directories on the host, so what
/// containerd sees there is empty: no image content reaches the host this way.
/// </summary>
public static class OverlayMountHelper
{
    private static readonly string[] DroppedPrefixes = [KataVolumeOption.Prefix, "extraoption="];

    /// <summary>The overlay mount an invocation asks for.</summary>
    /// <param name="Target">The mount point.</param>
    /// <param name="Flags">mount(2) flags from ro/nosuid/nodev/noexec.</param>
    /// <param name="Data">The overlay options (lowerdir, upperdir, workdir, …) without the Kata volume.</param>
    public sealed record OverlayMount(string Target, ulong Flags, string Data);

    /// <summary>Parses <c>SOURCE TARGET [-o OPTIONS]…</c> as mount.fuse passes them.</summary>
    /// <exception cref="ArgumentException">The arguments are not a mount helper's.</exception>
    public static OverlayMount Parse(IReadOnlyList<string> arguments)
    {
        var positional = new List<string>();
        var options = new List<string>();
        for (var i = 0; i < arguments.Count; i++)
        {
            if (arguments[i] == "-o")
            {
                if (i + 1 >= arguments.Count)
                {
                    throw new ArgumentException("-o needs an option list");
                }

                options.AddRange(arguments[++i].Split(',', StringSplitOptions.RemoveEmptyEntries));
            }
            else if (arguments[i].StartsWith("-o", StringComparison.Ordinal) && arguments[i].Length > 2)
            {
                options.AddRange(arguments[i][2..].Split(',', StringSplitOptions.RemoveEmptyEntries));
            }
            else
            {
                positional.Add(arguments[i]);
            }
        }

        if (positional.Count != 2)
        {
            throw new ArgumentException($"expected SOURCE TARGET [-o OPTIONS], got {positional.Count} positional argument(s)");
        }

        ulong flags = 0;
        var data = new List<string>();
        foreach (var option in options)
        {
            switch (option)
            {
                case "ro":
                    flags |= Linux.Mounts.ReadOnly;
                    break;
                case "nosuid":
                    flags |= Linux.Mounts.NoSuid;
                    break;
                case "nodev":
                    flags |= Linux.Mounts.NoDev;
                    break;
                case "noexec":
                    flags |= Linux.Mounts.NoExec;
                    break;
                case "rw" or "suid" or "dev" or "exec" or "defaults":
                    break;
                default:
                    if (!DroppedPrefixes.Any(prefix => option.StartsWith(prefix, StringComparison.Ordinal)))
                    {
                        data.Add(option);
                    }

                    break;
            }
        }

        if (!data.Any(o => o.StartsWith("lowerdir=", StringComparison.Ordinal)))
        {
            throw new ArgumentException("the options name no lowerdir: not an overlay mount");
        }

        return new OverlayMount(positional[1], flags, string.Join(',', data));
    }

    /// <summary>
    /// Mounts what <see cref="Parse"/> returned. Option data that would not fit mount(2)'s page (a deep
    /// image: one lowerdir per layer) is compacted by <see cref="OverlayPathCompactor"/> and mounted from
    /// the common directory. This changes the process's working directory: the helper is its own process.
    /// </summary>
    /// <exception cref="NativeCallException">mount(2) failed.</exception>
    public static void Mount(OverlayMount mount)
    {
        ArgumentNullException.ThrowIfNull(mount);
        var target = Path.GetFullPath(mount.Target);
        var data = mount.Data;
        // The kernel copies at most one page of option data, terminator included; keep nydus's margin.
        if (Encoding.UTF8.GetByteCount(data) >= Environment.SystemPageSize - 512)
        {
            var (directory, options) = OverlayPathCompactor.Compact(data.Split(','));
            if (directory is not null)
            {
                Directory.SetCurrentDirectory(directory);
                data = string.Join(',', options);
            }
        }

        Linux.Mounts.Mount("overlay", target, "overlay", mount.Flags, data);
    }
}
