using System.Runtime.InteropServices;
using System.Text;

namespace GuestPull.Testing.Containerd;

/// Lazily unmounts what a test's containerd (or its shims) left mounted under a directory, so the
/// directory can be deleted. Best effort: cleanup must not hide a test's own failure.
internal static partial class MountCleanup
{
    private const int MntDetach = 2;

    public static void UnmountUnder(string directory)
    {
        var prefix = directory.TrimEnd('/') + "/";
        string[] lines;
        try
        {
            lines = File.ReadAllLines("/proc/self/mountinfo");
        }
        catch (IOException)
        {
            return;
        }

        // Deepest first, so a mount on top of another goes before the one below it.
        var mountPoints = lines
            .Select(line => line.Split(' '))
            .Where(fields => fields.Length > 4)
            .Select(fields => Unescape(fields[4]))
            .Where(mountPoint => mountPoint.StartsWith(prefix, StringComparison.Ordinal))
            .OrderByDescending(mountPoint => mountPoint.Length);
        foreach (var mountPoint in mountPoints)
        {
            _ = Umount2(mountPoint, MntDetach);
        }
    }

    // mountinfo writes space, tab, newline and backslash as \ooo octal escapes.
    private static string Unescape(string field)
    {
        var text = new StringBuilder(field.Length);
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length && IsOctal(field[i + 1]) && IsOctal(field[i + 2]) && IsOctal(field[i + 3]))
            {
                text.Append((char)(((field[i + 1] - '0') * 64) + ((field[i + 2] - '0') * 8) + (field[i + 3] - '0')));
                i += 3;
                continue;
            }

            text.Append(field[i]);
        }

        return text.ToString();
    }

    private static bool IsOctal(char c) => c is >= '0' and <= '7';

    [LibraryImport("libc", EntryPoint = "umount2", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Umount2(string target, int flags);
}
