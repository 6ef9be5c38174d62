using GuestPull.Linux;

namespace GuestPull.Shim.Rootfs;

/// <summary>mount(8)-style options split into mount(2) flags and file-system data, as containerd's mount package does.</summary>
internal static class MountOptions
{
    private const ulong Recursive = Mounts.Recursive;

    public static (ulong Flags, string Data) Parse(string type, IEnumerable<string> options)
    {
        ulong flags = type == "bind" ? Mounts.Bind : 0;
        var data = new List<string>();
        foreach (var option in options)
        {
            switch (option)
            {
                case "ro":
                    flags |= Mounts.ReadOnly;
                    break;
                case "rw" or "defaults":
                    break;
                case "bind":
                    flags |= Mounts.Bind;
                    break;
                case "rbind":
                    flags |= Mounts.Bind | Recursive;
                    break;
                case "nosuid":
                    flags |= Mounts.NoSuid;
                    break;
                case "nodev":
                    flags |= Mounts.NoDev;
                    break;
                case "noexec":
                    flags |= Mounts.NoExec;
                    break;
                default:
                    data.Add(option);
                    break;
            }
        }

        return (flags, string.Join(',', data));
    }

    public static bool IsBind(string? type, IEnumerable<string> options) =>
        type == "bind" || options.Any(option => option is "bind" or "rbind");
}
