using System.Text.RegularExpressions;

namespace GuestPull.Bench.Pod.Contenders;

/// The container every run starts: it reads files of the base layer and of the last layer and
/// checks a whiteout, so a run only counts when the rootfs really is the whole realistic image.
internal static partial class Probe
{
    public const string ReplacedText = "this directory was replaced in a later layer";

    public static readonly string[] Command =
        ["/bin/sh", "-c", "cat /etc/debian_version /srv/small/d005/replaced.txt && test ! -e /usr/share/doc && echo rootfs-ok"];

    public static string Describe => string.Join(' ', Command[..2]) + " '" + Command[2] + "'";

    /// Throws when the log is not what the image's rootfs prints.
    public static void Check(IReadOnlyList<string> lines)
    {
        if (lines.Count != 3 || !BookwormVersion().IsMatch(lines[0]) || lines[1] != ReplacedText || lines[2] != "rootfs-ok")
        {
            throw new InvalidOperationException(
                $"the probe printed [{string.Join(" | ", lines)}], expected [12.x | {ReplacedText} | rootfs-ok]: the container's rootfs is not the benchmark image.");
        }
    }

    [GeneratedRegex(@"^12\.\d+$")]
    private static partial Regex BookwormVersion();
}
