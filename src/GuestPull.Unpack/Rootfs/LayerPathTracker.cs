namespace GuestPull.Unpack.Rootfs;

/// <summary>
/// Every path one layer has touched: detects duplicates and entry/whiteout conflicts, and tells
/// an opaque directory which of its children came from this layer (and so survive).
/// </summary>
internal sealed class LayerPathTracker
{
    private readonly Dictionary<string, PathState> _paths = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PathState>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    public LayerPathTracker()
    {
        _lookup = _paths.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>The parent directories this layer needed but never wrote an entry for, sorted.</summary>
    public List<string> ImplicitDirectories() =>
        [.. _paths.Where(p => p.Value == PathState.ImplicitDirectory).Select(p => p.Key).Order(StringComparer.Ordinal)];

    /// <summary>The paths this layer whited out below <paramref name="directory"/> ("" for the root), at any depth.</summary>
    public List<string> WhiteoutsBelow(string directory)
    {
        var prefix = directory.Length == 0 ? string.Empty : directory + "/";
        return [.. _paths.Where(p => p.Value == PathState.Whiteout && p.Key.StartsWith(prefix, StringComparison.Ordinal) && p.Key.Length > prefix.Length).Select(p => p.Key)];
    }

    public PathState? Get(ReadOnlySpan<char> path) => _lookup.TryGetValue(path, out var state) ? state : null;

    /// <summary>Records an entry; returns what was there before (null, or a whiteout or implicit parent).</summary>
    public PathState? AddEntry(string path, bool isDirectory)
    {
        var previous = Get(path);
        switch (previous)
        {
            case PathState.Directory or PathState.NonDirectory:
                throw new InvalidLayerException($"layer has two entries for '{path}'");
            case PathState.ImplicitDirectory when !isDirectory:
                throw new InvalidLayerException($"entry '{path}' would replace a directory that holds earlier entries of the same layer");
        }

        _paths[path] = isDirectory ? PathState.Directory : PathState.NonDirectory;
        return previous;
    }

    /// <summary>
    /// Records a whiteout of <paramref name="path"/>; returns the entry state when this layer
    /// already wrote the path (the whiteout then only hides lower layers).
    /// </summary>
    public PathState? AddWhiteout(string path)
    {
        var previous = Get(path);
        if (previous == PathState.Whiteout)
        {
            throw new InvalidLayerException($"layer whites out '{path}' twice");
        }

        if (previous is null)
        {
            _paths[path] = PathState.Whiteout;
        }

        return previous;
    }

    /// <summary>
    /// Marks the parents of <paramref name="path"/> as implicit directories of this layer. Returns,
    /// top-down, the parents that were whited out earlier in the layer (they must become directories).
    /// </summary>
    public List<string>? MarkParents(string path)
    {
        List<string>? whitedOut = null;
        var slash = path.LastIndexOf('/');
        while (slash > 0)
        {
            var parent = path.AsSpan(0, slash);
            var state = Get(parent);
            if (state == PathState.Whiteout)
            {
                var key = parent.ToString();
                _paths[key] = PathState.ImplicitDirectory;
                (whitedOut ??= []).Insert(0, key);
            }
            else if (state is not null)
            {
                // Every recorded path already has its parents recorded.
                break;
            }
            else
            {
                _paths[parent.ToString()] = PathState.ImplicitDirectory;
            }

            slash = parent.LastIndexOf('/');
        }

        return whitedOut;
    }
}
