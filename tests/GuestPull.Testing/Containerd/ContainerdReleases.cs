namespace GuestPull.Testing.Containerd;

/// <summary>
/// The cached Debian containerd releases, fetched on first use by the repository's
/// scripts/fetch-containerd.sh (a no-op once the cache holds them; scripts/install-deps.sh runs it too).
/// </summary>
public static class ContainerdReleases
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static IReadOnlyList<ContainerdRelease>? _fetched;

    /// <summary>Debian trixie's containerd 1.7.</summary>
    public static Task<ContainerdRelease> Containerd17Async(CancellationToken cancellationToken = default) => FindAsync("1.7.", cancellationToken);

    /// <summary>Debian sid's containerd 2.1.</summary>
    public static Task<ContainerdRelease> Containerd21Async(CancellationToken cancellationToken = default) => FindAsync("2.1.", cancellationToken);

    /// <summary>The release whose version starts with <paramref name="prefix"/> (e.g. <c>"2.1."</c>).</summary>
    public static async Task<ContainerdRelease> FindAsync(string prefix, CancellationToken cancellationToken = default)
    {
        var releases = await FetchAsync(cancellationToken).ConfigureAwait(false);
        return releases.FirstOrDefault(r => r.Version.StartsWith(prefix, StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"scripts/fetch-containerd.sh fetched no containerd {prefix}x (it has {string.Join(", ", releases)})");
    }

    /// <summary>Runs scripts/fetch-containerd.sh once per test process and reads its "VERSION BINDIR" lines.</summary>
    public static async Task<IReadOnlyList<ContainerdRelease>> FetchAsync(CancellationToken cancellationToken = default)
    {
        await Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_fetched is null)
            {
                var script = Path.Combine(RepositoryRoot(), "scripts", "fetch-containerd.sh");
                var result = await ProcessRunner.RunAsync(script, [], new ProcessRunOptions { Timeout = TimeSpan.FromMinutes(10) }, cancellationToken).ConfigureAwait(false);
                _fetched = [.. result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Select(line => line.Split(' ', 2))
                    .Select(parts => new ContainerdRelease(parts[0], parts[1]))];
            }

            return _fetched;
        }
        finally
        {
            Gate.Release();
        }
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "GuestPull.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new DirectoryNotFoundException($"no repository root (GuestPull.slnx) above {AppContext.BaseDirectory}");
    }
}
