namespace GuestPull.Snapshotter.Mounts;

/// <summary>
/// Shortens an overlay mount's directory options so deep images fit mount(2)'s one page of option
/// data (nydus-snapshotter #723; containerd's overlay mounts do the same): the lowerdir, upperdir and
/// workdir paths become relative to the deepest directory they all sit below, and the caller mounts
/// with that directory as its working directory, where the kernel resolves relative paths.
/// </summary>
public static class OverlayPathCompactor
{
    private static readonly string[] PathKeys = ["lowerdir=", "upperdir=", "workdir="];

    /// <summary>The common directory and the options rewritten relative to it; null and the options unchanged when there is nothing to gain.</summary>
    /// <param name="options">Overlay options (<c>key=value</c> or bare flags), without the Kata volume.</param>
    public static (string? Directory, IReadOnlyList<string> Options) Compact(IReadOnlyList<string> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var paths = options.SelectMany(PathsOf).ToList();
        if (paths.Count < 2 || paths.Any(path => !path.StartsWith('/')))
        {
            return (null, options);
        }

        // Whole components only: "/s/12" and "/s/123" share "/s", never "/s/12".
        var split = paths.Select(path => path.Split('/', StringSplitOptions.RemoveEmptyEntries)).ToList();
        var common = 0;
        while (split.All(parts => parts.Length > common + 1 && parts[common] == split[0][common]))
        {
            common++;
        }

        if (common == 0)
        {
            return (null, options);
        }

        var directory = "/" + string.Join('/', split[0].Take(common));
        var rewritten = options.Select(option => Rewrite(option, common)).ToList();
        return (directory, rewritten);
    }

    private static IEnumerable<string> PathsOf(string option)
    {
        var key = PathKeys.FirstOrDefault(k => option.StartsWith(k, StringComparison.Ordinal));
        return key is null ? [] : option[key.Length..].Split(':');
    }

    private static string Rewrite(string option, int common)
    {
        var key = PathKeys.FirstOrDefault(k => option.StartsWith(k, StringComparison.Ordinal));
        if (key is null)
        {
            return option;
        }

        var relative = option[key.Length..].Split(':')
            .Select(path => string.Join('/', path.Split('/', StringSplitOptions.RemoveEmptyEntries).Skip(common)));
        return key + string.Join(':', relative);
    }
}
