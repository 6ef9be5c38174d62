namespace GuestPull.Unpack.Rootfs;

/// <summary>
/// An archive path normalised the way containerd does it: as if joined to "/" and cleaned, so
/// leading "/" and "../" are dropped ("../x" and "/x" both mean "x") and ".." can never climb
/// above the root. The empty path is the root itself. This is only lexical; the file system
/// side (symlinks) is confined separately by resolving every path with RESOLVE_IN_ROOT.
/// </summary>
internal readonly struct EntryPath
{
    private readonly int _lastSlash;

    private EntryPath(string full)
    {
        Full = full;
        _lastSlash = full.LastIndexOf('/');
        Name = _lastSlash < 0 ? full : full[(_lastSlash + 1)..];
    }

    /// <summary>The cleaned path relative to the root, "" for the root.</summary>
    public string Full { get; }

    /// <summary>The last component ("" for the root).</summary>
    public string Name { get; }

    public bool IsRoot => Full.Length == 0;

    public ReadOnlySpan<char> ParentSpan => _lastSlash < 0 ? ReadOnlySpan<char>.Empty : Full.AsSpan(0, _lastSlash);

    public string Parent => _lastSlash < 0 ? string.Empty : Full[.._lastSlash];

    public static EntryPath Normalize(string raw)
    {
        var trimmed = raw.AsSpan();
        while (true)
        {
            if (trimmed.StartsWith("./"))
            {
                trimmed = trimmed[2..];
            }
            else if (trimmed.StartsWith('/'))
            {
                trimmed = trimmed[1..];
            }
            else
            {
                break;
            }
        }

        trimmed = trimmed.TrimEnd('/');
        if (IsClean(trimmed))
        {
            return new EntryPath(trimmed.Length == raw.Length ? raw : trimmed.ToString());
        }

        var components = new List<string>();
        foreach (var range in trimmed.Split('/'))
        {
            var component = trimmed[range];
            if (component.IsEmpty || component is ".")
            {
                continue;
            }

            if (component is "..")
            {
                if (components.Count > 0)
                {
                    components.RemoveAt(components.Count - 1);
                }

                continue;
            }

            components.Add(component.ToString());
        }

        return new EntryPath(string.Join('/', components));
    }

    public static EntryPath Join(string directory, string name)
        => new(directory.Length == 0 ? name : string.Concat(directory, "/", name));

    public override string ToString() => Full.Length == 0 ? "/" : Full;

    private static bool IsClean(ReadOnlySpan<char> path)
    {
        if (path.IsEmpty)
        {
            return true;
        }

        foreach (var range in path.Split('/'))
        {
            var component = path[range];
            if (component.IsEmpty || component is "." or "..")
            {
                return false;
            }
        }

        return true;
    }
}
