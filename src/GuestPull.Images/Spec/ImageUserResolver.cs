using System.Globalization;

namespace GuestPull.Images.Spec;

/// <summary>
/// Resolves an image config's <c>User</c> (<c>uid</c>, <c>uid:gid</c>, <c>name</c>, <c>name:group</c>,
/// mixed) against the image's own /etc/passwd and /etc/group, read inside the rootfs.
/// </summary>
public static class ImageUserResolver
{
    private const string PasswdPath = "/etc/passwd";
    private const string GroupPath = "/etc/group";

    /// <summary>Resolves <paramref name="user"/>; empty or null means root.</summary>
    /// <param name="user">The image config's User value.</param>
    /// <param name="rootfs">The image's root directory.</param>
    /// <exception cref="RuntimeSpecException">A name is not in the image's files, or the value is malformed.</exception>
    public static ResolvedUser Resolve(string? user, string rootfs)
    {
        ArgumentException.ThrowIfNullOrEmpty(rootfs);
        var value = string.IsNullOrEmpty(user) ? "0" : user;
        var colon = value.IndexOf(':', StringComparison.Ordinal);
        var userPart = colon < 0 ? value : value[..colon];
        var groupPart = colon < 0 ? null : value[(colon + 1)..];
        if (userPart.Length == 0 || groupPart?.Length == 0)
        {
            throw new RuntimeSpecException($"image user \"{user}\" is malformed: expected user[:group]");
        }

        var passwd = ImageFileReader.ReadText(rootfs, PasswdPath);
        List<string[]> users = passwd is null ? [] : ParseEntries(passwd, minimumFields: 4);
        uint uid;
        uint gid = 0;
        string? name;
        if (TryParseId(userPart, user, out uid))
        {
            var entry = users.FirstOrDefault(e => TryParseId(e[2], null, out var id) && id == uid);
            name = entry?[0];
            if (entry is not null && TryParseId(entry[3], null, out var primary))
            {
                gid = primary;
            }
        }
        else
        {
            if (passwd is null)
            {
                throw new RuntimeSpecException($"image user \"{userPart}\" cannot be resolved: the image has no {PasswdPath}");
            }

            var entry = users.FirstOrDefault(e => e[0] == userPart && TryParseId(e[2], null, out _) && TryParseId(e[3], null, out _))
                ?? throw new RuntimeSpecException($"image user \"{userPart}\" not found in the image's {PasswdPath}");
            name = entry[0];
            uid = uint.Parse(entry[2], CultureInfo.InvariantCulture);
            gid = uint.Parse(entry[3], CultureInfo.InvariantCulture);
        }

        var groupText = ImageFileReader.ReadText(rootfs, GroupPath);
        List<string[]> groups = groupText is null ? [] : ParseEntries(groupText, minimumFields: 3);
        if (groupPart is not null)
        {
            if (!TryParseId(groupPart, user, out gid))
            {
                if (groupText is null)
                {
                    throw new RuntimeSpecException($"image group \"{groupPart}\" cannot be resolved: the image has no {GroupPath}");
                }

                var entry = groups.FirstOrDefault(e => e[0] == groupPart && TryParseId(e[2], null, out _))
                    ?? throw new RuntimeSpecException($"image group \"{groupPart}\" not found in the image's {GroupPath}");
                gid = uint.Parse(entry[2], CultureInfo.InvariantCulture);
            }
        }

        var additional = new List<uint> { gid };
        if (name is not null)
        {
            foreach (var entry in groups)
            {
                if (entry.Length > 3 && entry[3].Split(',').Contains(name) && TryParseId(entry[2], null, out var member) && !additional.Contains(member))
                {
                    additional.Add(member);
                }
            }
        }

        return new ResolvedUser(uid, gid, additional, name);
    }

    private static List<string[]> ParseEntries(string text, int minimumFields)
    {
        var entries = new List<string[]>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0 || line[0] is '#' or '+' or '-')
            {
                continue;
            }

            var fields = line.Split(':');
            if (fields.Length >= minimumFields)
            {
                entries.Add(fields);
            }
        }

        return entries;
    }

    /// <summary>Parses a decimal id. With <paramref name="original"/> set, an all-digit value out of range is an error.</summary>
    private static bool TryParseId(string text, string? original, out uint id)
    {
        id = 0;
        if (text.Length == 0 || !text.All(char.IsAsciiDigit))
        {
            return false;
        }

        // 2^32-1 is (uid_t)-1, "no change" to the kernel.
        if (!uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out id) || id == uint.MaxValue)
        {
            if (original is not null)
            {
                throw new RuntimeSpecException($"image user \"{original}\": id {text} is out of range");
            }

            return false;
        }

        return true;
    }
}
